import type { Metadata } from 'next';
import Link from 'next/link';
import { OrderPage } from './_components/order-page';

export async function generateMetadata({ params }: { params: Promise<{ orderId: string }> }): Promise<Metadata> {
  const { orderId } = await params;
  return { title: `Order ${decodeURIComponent(orderId)}` };
}

export default async function OrderRoute({ params }: { params: Promise<{ orderId: string }> }) {
  const { orderId } = await params;
  return (
    <>
      <nav className="crumbs">
        <Link href="/orders">Orders</Link> / <span className="mono">{decodeURIComponent(orderId)}</span>
      </nav>
      <OrderPage orderId={decodeURIComponent(orderId)} />
    </>
  );
}
