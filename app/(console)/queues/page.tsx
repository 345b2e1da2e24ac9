import type { Metadata } from 'next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';

export const metadata: Metadata = { title: 'Queues' };

export default function QueuesPage() {
  return (
    <>
      <PageHeader title="Queues" description="Lag, throughput, retries and dead letters per consumer group." />
      <EmptyState title="Nothing to show yet">Consumer groups appear here once the event pipeline is running.</EmptyState>
    </>
  );
}
