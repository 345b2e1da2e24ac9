import type { Metadata } from 'next';
import { HydrationBoundary } from '@tanstack/react-query';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LongWorkProgress } from '@/components/long-work-progress';
import { LoadingRows } from '@/components/query-state';
import { readUrlFilters, searchParamGetter, type SearchParamsRecord } from '@/components/url-filters';
import { prefetchScreen } from '@/server/trpc/prefetch';
import { DeadLettersTable } from './_components/dead-letters-table';
import { filterKeys, listInput } from './_components/dead-letters-query';

export const metadata: Metadata = { title: 'Dead letters' };

export default async function DeadLettersPage({ searchParams }: { searchParams: Promise<SearchParamsRecord> }) {
  const filters = readUrlFilters(filterKeys, searchParamGetter(await searchParams));
  const prefetched = await prefetchScreen((trpc, client) => [client.prefetchQuery(trpc.deadLetters.list.queryOptions(listInput(filters)))]);
  return (
    <HydrationBoundary state={prefetched}>
      <PageHeader
        title="Dead letters"
        description="Deliveries that ran out of attempts. Inspect the payload and every attempt's error, then replay (re-deliver, paced) or discard with a reason."
      />
      <LongWorkProgress startedFrom="/dead-letters" />
      <Suspense fallback={<LoadingRows />}>
        <DeadLettersTable />
      </Suspense>
    </HydrationBoundary>
  );
}
