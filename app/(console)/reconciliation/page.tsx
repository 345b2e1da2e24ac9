import type { Metadata } from 'next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';

export const metadata: Metadata = { title: 'Reconciliation' };

export default function ReconciliationPage() {
  return (
    <>
      <PageHeader title="Reconciliation" description="Our records compared with the payment provider and the warehouse." />
      <EmptyState title="Nothing to show yet">No reconciliation runs yet.</EmptyState>
    </>
  );
}
