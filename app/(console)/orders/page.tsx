import type { Metadata } from 'next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';

export const metadata: Metadata = { title: 'Orders' };

export default function OrdersPage() {
  return (
    <>
      <PageHeader title="Orders" description="Search orders, find stuck ones, and open an order's trace." />
      <EmptyState title="Nothing to show yet">Orders appear here once the order system is running and orders are placed.</EmptyState>
    </>
  );
}
