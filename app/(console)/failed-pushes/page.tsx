import type { Metadata } from 'next';
import { HydrationBoundary } from '@tanstack/react-query';
import { readUrlFilters, searchParamGetter, type SearchParamsRecord } from '@/components/url-filters';
import { prefetchScreen } from '@/server/trpc/prefetch';
import { filterKeys, listInput } from './_components/failed-pushes-query';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { FailedPushesTable } from './_components/failed-pushes-table';

export const metadata: Metadata = { title: 'Failed pushes' };

export default async function FailedPushesPage({ searchParams }: { searchParams: Promise<SearchParamsRecord> }) {
  const filters = readUrlFilters(filterKeys, searchParamGetter(await searchParams));
  const prefetched = await prefetchScreen((trpc, client) => [client.prefetchQuery(trpc.failedPushes.list.queryOptions(listInput(filters)))]);
  return (
    <HydrationBoundary state={prefetched}>
      <PageHeader
        title="Failed pushes"
        description="Deliveries waiting for another attempt after a failure (a third party down, a timeout). Retry now, or give up and send them to dead letters."
      />
      <Suspense fallback={<LoadingRows />}>
        <FailedPushesTable />
      </Suspense>
    </HydrationBoundary>
  );
}
