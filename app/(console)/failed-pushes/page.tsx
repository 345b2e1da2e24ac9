import type { Metadata } from 'next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';

export const metadata: Metadata = { title: 'Failed pushes' };

export default function FailedPushesPage() {
  return (
    <>
      <PageHeader title="Failed pushes" description="Deliveries waiting for their next retry, with the last error." />
      <EmptyState title="Nothing to show yet">No failed pushes. Deliveries waiting to be retried will be listed here.</EmptyState>
    </>
  );
}
