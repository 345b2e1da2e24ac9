import type { Metadata } from 'next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';

export const metadata: Metadata = { title: 'Third parties' };

export default function ThirdPartiesPage() {
  return (
    <>
      <PageHeader title="Third parties" description="Payment provider, warehouse, carrier and SMS gateway: simulated latency and failures." />
      <EmptyState title="Nothing to show yet">Third-party simulators appear here once the order system is running.</EmptyState>
    </>
  );
}
