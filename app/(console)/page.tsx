import type { Metadata } from 'next';
import { LongWorkProgress } from '@/components/long-work-progress';
import { HydrationBoundary } from '@tanstack/react-query';
import { prefetchScreen } from '@/server/trpc/prefetch';
import { PageHeader } from '@/components/page-header';
import { OverviewTiles } from './_components/overview-tiles';

export const metadata: Metadata = { title: 'Overview' };

export default async function OverviewPage() {
  const prefetched = await prefetchScreen((trpc, client) => [client.prefetchQuery(trpc.overview.get.queryOptions())]);
  return (
    <HydrationBoundary state={prefetched}>
      <PageHeader title="Overview" description="Is anything wrong? Each figure with its last hour; red and amber say where to look, and each links to the screen that explains it." />
      <OverviewTiles />
      <LongWorkProgress />
    </HydrationBoundary>
  );
}
