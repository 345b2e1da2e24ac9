import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { GivenUpDeliveries } from './_components/given-up-deliveries';
import { ThirdPartiesTable } from './_components/third-parties-table';

export const metadata: Metadata = { title: 'Third parties' };

export default function ThirdPartiesPage() {
  return (
    <>
      <PageHeader
        title="Third parties"
        description="The error rate our consumers observe calling each third party, and the built-in simulators' fault settings (admins can change them to rehearse an outage)."
      />
      <Suspense fallback={<LoadingRows />}>
        <ThirdPartiesTable />
        <GivenUpDeliveries />
      </Suspense>
    </>
  );
}
