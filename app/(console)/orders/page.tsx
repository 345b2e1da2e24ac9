import type { Metadata } from 'next';
import { HydrationBoundary } from '@tanstack/react-query';
import { Suspense } from 'react';
import { LongWorkProgress } from '@/components/long-work-progress';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { readUrlFilters, searchParamGetter, type SearchParamsRecord } from '@/components/url-filters';
import { prefetchScreen } from '@/server/trpc/prefetch';
import { OrdersView } from './_components/orders-view';
import { searchFilterKeys, searchInput, stuckFilterKeys, stuckInput } from './_components/orders-query';

export const metadata: Metadata = { title: 'Orders' };

export default async function OrdersPage({ searchParams }: { searchParams: Promise<SearchParamsRecord> }) {
  const get = searchParamGetter(await searchParams);
  const prefetched = await prefetchScreen((trpc, client) => [
    get('view') === 'stuck'
      ? client.prefetchQuery(trpc.orders.stuck.queryOptions(stuckInput(readUrlFilters(stuckFilterKeys, get))))
      : client.prefetchQuery(trpc.orders.search.queryOptions(searchInput(readUrlFilters(searchFilterKeys, get)))),
  ]);
  return (
    <HydrationBoundary state={prefetched}>
      <PageHeader title="Orders" description="Search orders, find the stuck ones, and open an order to see its trace and fix it." />
      <LongWorkProgress startedFrom="/orders" />
      <Suspense fallback={<LoadingRows />}>
        <OrdersView />
      </Suspense>
    </HydrationBoundary>
  );
}
