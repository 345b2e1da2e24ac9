import type { Metadata } from 'next';
import { HydrationBoundary } from '@tanstack/react-query';
import { readUrlFilters, searchParamGetter, type SearchParamsRecord } from '@/components/url-filters';
import { prefetchScreen } from '@/server/trpc/prefetch';
import { lagChartInput, lagChartKeys } from './_components/queues-query';
import { Suspense } from 'react';
import { LongWorkProgress } from '@/components/long-work-progress';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { LagChart } from './_components/lag-chart';
import { LogPanel } from './_components/log-panel';
import { QueuesTable } from './_components/queues-table';

export const metadata: Metadata = { title: 'Queues' };

export default async function QueuesPage({ searchParams }: { searchParams: Promise<SearchParamsRecord> }) {
  const filters = readUrlFilters(lagChartKeys, searchParamGetter(await searchParams));
  const prefetched = await prefetchScreen((trpc, client) => [
    client.prefetchQuery(trpc.queues.overview.queryOptions()),
    client.prefetchQuery(trpc.queues.lagHistory.queryOptions(lagChartInput(filters))),
  ]);
  return (
    <HydrationBoundary state={prefetched}>
      <PageHeader title="Queues" description="Per consumer group: how far behind it is (lag), how fast it works, what is failing. On-call can pause, resume and move offsets." />
      <LongWorkProgress startedFrom="/queues" />
      <Suspense fallback={<LoadingRows />}>
        <LagChart />
        <QueuesTable />
        <LogPanel />
      </Suspense>
    </HydrationBoundary>
  );
}
