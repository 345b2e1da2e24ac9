import type { Metadata } from 'next';
import { HydrationBoundary } from '@tanstack/react-query';
import { prefetchScreen } from '@/server/trpc/prefetch';
import { OBSERVED_WINDOW_MINUTES } from './_components/third-parties-query';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { GivenUpDeliveries } from './_components/given-up-deliveries';
import { ThirdPartiesTable } from './_components/third-parties-table';

export const metadata: Metadata = { title: 'Third parties' };

export default async function ThirdPartiesPage() {
  const prefetched = await prefetchScreen((trpc, client) => [
    client.prefetchQuery(trpc.thirdParties.overview.queryOptions({ windowMinutes: OBSERVED_WINDOW_MINUTES })),
    client.prefetchQuery(trpc.thirdParties.givenUp.queryOptions()),
  ]);
  return (
    <HydrationBoundary state={prefetched}>
      <PageHeader
        title="Third parties"
        description="The error rate our consumers observe calling each third party, and the built-in simulators' fault settings (admins can change them to rehearse an outage)."
      />
      <Suspense fallback={<LoadingRows />}>
        <ThirdPartiesTable />
        <GivenUpDeliveries />
      </Suspense>
    </HydrationBoundary>
  );
}
