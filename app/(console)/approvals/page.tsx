import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { ApprovalsTable } from './_components/approvals-table';

export const metadata: Metadata = { title: 'Approvals' };

export default function ApprovalsPage() {
  return (
    <>
      <PageHeader
        title="Approvals"
        description="Dangerous actions — large replays, offset resets, refunds marked done by hand — wait here for a second person. Approving runs exactly what was asked."
      />
      <Suspense fallback={<LoadingRows />}>
        <ApprovalsTable />
      </Suspense>
    </>
  );
}
