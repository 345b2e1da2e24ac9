import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { OrdersView } from './_components/orders-view';

export const metadata: Metadata = { title: 'Orders' };

export default function OrdersPage() {
  return (
    <>
      <PageHeader title="Orders" description="Search orders, find the stuck ones, and open an order to see its trace and fix it." />
      <Suspense fallback={<LoadingRows />}>
        <OrdersView />
      </Suspense>
    </>
  );
}
