import type { Metadata } from 'next';
import { HydrationBoundary } from '@tanstack/react-query';
import { readUrlFilters, searchParamGetter, type SearchParamsRecord } from '@/components/url-filters';
import { prefetchScreen } from '@/server/trpc/prefetch';
import { filterKeys, listInput } from './_components/audit-query';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { AuditTable } from './_components/audit-table';
import { ExportAuditLog } from './_components/export-audit-log';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParamsRecord> }) {
  const filters = readUrlFilters(filterKeys, searchParamGetter(await searchParams));
  const prefetched = await prefetchScreen((trpc, client) => [client.prefetchQuery(trpc.audit.list.queryOptions(listInput(filters)))]);
  return (
    <HydrationBoundary state={prefetched}>
      <PageHeader title="Audit log" description="Every console action: who, what, on which target, why, and how it ended — refused attempts included." />
      <ExportAuditLog />
      <Suspense fallback={<LoadingRows />}>
        <AuditTable />
      </Suspense>
    </HydrationBoundary>
  );
}
