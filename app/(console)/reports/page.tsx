import type { Metadata } from 'next';
import { HydrationBoundary } from '@tanstack/react-query';
import { prefetchScreen } from '@/server/trpc/prefetch';
import { DEFAULT_HOURS, THROUGHPUT_MINUTES } from './_components/reports-query';
import { PageHeader } from '@/components/page-header';
import { ReportsView } from './_components/reports-view';

export const metadata: Metadata = { title: 'Reports' };

export default async function ReportsPage() {
  const prefetched = await prefetchScreen((trpc, client) => [
    client.prefetchQuery(trpc.reports.sales.queryOptions({ hours: DEFAULT_HOURS })),
    client.prefetchQuery(trpc.reports.throughput.queryOptions({ minutes: THROUGHPUT_MINUTES })),
  ]);
  return (
    <HydrationBoundary state={prefetched}>
      <PageHeader
        title="Reports"
        description="Sales from the analytics projection, which the pipeline feeds from order events: nothing here reads the order tables. The same events are available to the data team at /api/feed/events."
      />
      <ReportsView />
    </HydrationBoundary>
  );
}
