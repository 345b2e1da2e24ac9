import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LongWorkProgress } from '@/components/long-work-progress';
import { LoadingRows } from '@/components/query-state';
import { DeadLettersTable } from './_components/dead-letters-table';

export const metadata: Metadata = { title: 'Dead letters' };

export default function DeadLettersPage() {
  return (
    <>
      <PageHeader
        title="Dead letters"
        description="Deliveries that ran out of attempts. Inspect the payload and every attempt's error, then replay (re-deliver, paced) or discard with a reason."
      />
      <LongWorkProgress startedFrom="/dead-letters" />
      <Suspense fallback={<LoadingRows />}>
        <DeadLettersTable />
      </Suspense>
    </>
  );
}
