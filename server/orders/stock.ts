import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/**
 * The TCC steps after the try (freeze, in create-order.ts). Each moves the order's units
 * between the SKU buckets and flips `orders.stock_state` in the same transaction; the
 * state guard makes a repeated step a no-op, so it can never move stock twice.
 */

type StockState = 'FROZEN' | 'SOLD' | 'RELEASED' | 'RESTOCKED';

async function moveStock(tx: Executor, orderId: string, from: StockState, to: StockState, bucketUpdate: SQL): Promise<boolean> {
  // One statement: the state flip and the bucket update cannot be separated, and it is one round trip.
  const [moved] = await tx.execute<{ flipped: number }>(sql`
    with flipped as (
      update orders set stock_state = ${to} where id = ${orderId} and stock_state = ${from} returning id
    ), moved as (
      update skus set ${bucketUpdate}
      from order_items oi join flipped on flipped.id = oi.order_id
      where skus.sku = oi.sku
    )
    select count(*)::int as flipped from flipped`);
  return moved!.flipped > 0;
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
