import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LongWorkProgress } from '@/components/long-work-progress';
import { LoadingRows } from '@/components/query-state';
import { ReconciliationView } from './_components/reconciliation-view';

export const metadata: Metadata = { title: 'Reconciliation' };

export default function ReconciliationPage() {
  return (
    <>
      <PageHeader
        title="Reconciliation"
        description="Our records compared with the payment provider and the warehouse, every few minutes and on demand. Certain fixes are applied through the order commands; everything else waits here for a person."
      />
      <LongWorkProgress startedFrom="/reconciliation" />
      <Suspense fallback={<LoadingRows />}>
        <ReconciliationView />
      </Suspense>
    </>
  );
}
