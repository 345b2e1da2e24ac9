import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { FailedPushesTable } from './_components/failed-pushes-table';

export const metadata: Metadata = { title: 'Failed pushes' };

export default function FailedPushesPage() {
  return (
    <>
      <PageHeader
        title="Failed pushes"
        description="Deliveries waiting for another attempt after a failure (a third party down, a timeout). Retry now, or give up and send them to dead letters."
      />
      <Suspense fallback={<LoadingRows />}>
        <FailedPushesTable />
      </Suspense>
    </>
  );
}
