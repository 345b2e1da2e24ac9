import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { LagChart } from './_components/lag-chart';
import { LogPanel } from './_components/log-panel';
import { QueuesTable } from './_components/queues-table';

export const metadata: Metadata = { title: 'Queues' };

export default function QueuesPage() {
  return (
    <>
      <PageHeader title="Queues" description="Per consumer group: how far behind it is (lag), how fast it works, what is failing. On-call can pause, resume and move offsets." />
      <Suspense fallback={<LoadingRows />}>
        <LagChart />
        <QueuesTable />
        <LogPanel />
      </Suspense>
    </>
  );
}
