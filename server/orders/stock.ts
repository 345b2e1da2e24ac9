import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { orders } from '@/db/schema';

/**
 * The TCC steps after the try (freeze, in create-order.ts). Each moves the order's units
 * between the SKU buckets and flips `orders.stock_state` in the same transaction; the
 * state guard makes a repeated step a no-op, so it can never move stock twice.
 */

type StockState = 'FROZEN' | 'SOLD' | 'RELEASED' | 'RESTOCKED';

async function moveStock(tx: Executor, orderId: string, from: StockState, to: StockState, bucketUpdate: ReturnType<typeof sql>): Promise<boolean> {
  const flipped = await tx
    .update(orders)
    .set({ stockState: to })
    .where(and(eq(orders.id, orderId), eq(orders.stockState, from)))
    .returning({ id: orders.id });
  if (flipped.length === 0) return false;
  await tx.execute(sql`
    update skus set ${bucketUpdate}
    from order_items oi
    where oi.order_id = ${orderId} and skus.sku = oi.sku`);
  return true;
}

/** Confirm: frozen units become sold (payment arrived). */
export function confirmStock(tx: Executor, orderId: string) {
  return moveStock(tx, orderId, 'FROZEN', 'SOLD', sql`frozen = skus.frozen - oi.quantity, sold = skus.sold + oi.quantity`);
}

/** Cancel: frozen units go back on sale (order closed before payment). */
export function releaseStock(tx: Executor, orderId: string) {
  return moveStock(tx, orderId, 'FROZEN', 'RELEASED', sql`frozen = skus.frozen - oi.quantity, available = skus.available + oi.quantity`);
}

/** Compensation: sold units that never left the warehouse go back on sale (refund before dispatch). */
export function restockSold(tx: Executor, orderId: string) {
  return moveStock(tx, orderId, 'SOLD', 'RESTOCKED', sql`sold = skus.sold - oi.quantity, available = skus.available + oi.quantity`);
}
