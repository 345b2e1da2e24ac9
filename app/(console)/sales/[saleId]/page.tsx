import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense } from 'react';
import { LoadingRows } from '@/components/query-state';
import { SaleView } from './_components/sale-view';

export async function generateMetadata({ params }: { params: Promise<{ saleId: string }> }): Promise<Metadata> {
  const { saleId } = await params;
  return { title: `Sale ${decodeURIComponent(saleId)}` };
}

export default async function SaleRoute({ params }: { params: Promise<{ saleId: string }> }) {
  const { saleId } = await params;
  return (
    <>
      <nav className="crumbs">
        <Link href="/sales">Sales</Link> / <span className="mono">{decodeURIComponent(saleId)}</span>
      </nav>
      <Suspense fallback={<LoadingRows label="Loading the sale…" />}>
        <SaleView saleId={decodeURIComponent(saleId)} />
      </Suspense>
    </>
  );
}
