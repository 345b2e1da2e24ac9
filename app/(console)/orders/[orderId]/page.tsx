import type { Metadata } from 'next';
import { HydrationBoundary } from '@tanstack/react-query';
import Link from 'next/link';
import { prefetchScreen } from '@/server/trpc/prefetch';
import { OrderPage } from './_components/order-page';

export async function generateMetadata({ params }: { params: Promise<{ orderId: string }> }): Promise<Metadata> {
  const { orderId } = await params;
  return { title: `Order ${decodeURIComponent(orderId)}` };
}

export default async function OrderRoute({ params }: { params: Promise<{ orderId: string }> }) {
  const { orderId } = await params;
  const id = decodeURIComponent(orderId);
  const prefetched = await prefetchScreen((trpc, client) => [
    client.prefetchQuery(trpc.orders.get.queryOptions({ orderId: id })),
    client.prefetchQuery(trpc.orders.trace.queryOptions({ orderId: id })),
  ]);
  return (
    <HydrationBoundary state={prefetched}>
      <nav className="crumbs">
        <Link href="/orders">Orders</Link> / <span className="mono">{decodeURIComponent(orderId)}</span>
      </nav>
      <OrderPage orderId={id} />
    </HydrationBoundary>
  );
}
