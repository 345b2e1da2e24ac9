import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { ArmSaleForm } from './_components/arm-sale-form';
import { SalesList } from './_components/sales-list';

export const metadata: Metadata = { title: 'Sales' };

export default function SalesPage() {
  return (
    <>
      <PageHeader
        title="Sales"
        description="Flash sales: units taken from a SKU when armed, attempts decided at the order API's door, orders made from admitted attempts at a capped rate. Open a sale to watch it live; admins arm, pause, resume and end sales."
      />
      <Suspense fallback={<LoadingRows />}>
        <SalesList />
        <ArmSaleForm />
      </Suspense>
    </>
  );
}
