import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/**
 * The TCC steps after the try (freeze, in create-order.ts). A SKU's frozen and sold units
 * are the units of its orders in those stock states, so each step flips
 * `orders.stock_state`, and the steps that put units back on sale also return them to
 * `skus.available` in the same statement. The state guard makes a repeated step a no-op,
 * so it can never move stock twice.
 */

type StockState = 'FROZEN' | 'SOLD' | 'RELEASED' | 'RESTOCKED';

async function moveStock(tx: Executor, orderId: string, from: StockState, to: StockState, options: { backOnSale: boolean }): Promise<boolean> {
  // One statement: the state flip and the counter update cannot be separated, and it is one round trip.
  const [moved] = await tx.execute<{ flipped: number }>(sql`
    with flipped as (
      update orders set stock_state = ${to} where id = ${orderId} and stock_state = ${from} returning id
    ), returned as (
      update skus set available = skus.available + oi.quantity
      from order_items oi join flipped on flipped.id = oi.order_id
      where ${options.backOnSale} and skus.sku = oi.sku
    )
    select count(*)::int as flipped from flipped`);
  return moved!.flipped > 0;
}

/** Confirm: frozen units become sold (payment arrived). Touches no SKU row, so payments of one SKU never wait for each other. */
export function confirmStock(tx: Executor, orderId: string) {
  return moveStock(tx, orderId, 'FROZEN', 'SOLD', { backOnSale: false });
}

/** Cancel: frozen units go back on sale (order closed before payment). */
export function releaseStock(tx: Executor, orderId: string) {
  return moveStock(tx, orderId, 'FROZEN', 'RELEASED', { backOnSale: true });
}

/** Compensation: sold units that never left the warehouse go back on sale (refund before dispatch). */
export function restockSold(tx: Executor, orderId: string) {
  return moveStock(tx, orderId, 'SOLD', 'RESTOCKED', { backOnSale: true });
}

/**
 * Units put back on sale that left the warehouse after all (a push that reached the WMS after
 * the refund's compensation found nothing to cancel there): they are sold, so they come off
 * sale again. Refused, changing nothing, when some SKU has fewer units on sale than the order
 * holds (sold to someone else meanwhile): that takes a person. The caller has locked the order.
 */
export async function takeRestockedOffSale(tx: Executor, orderId: string): Promise<'taken' | 'short'> {
  const [row] = await tx.execute<{ flipped: number }>(sql`
    with wanted as (
      select oi.sku, sum(oi.quantity)::int as units from order_items oi where oi.order_id = ${orderId} group by oi.sku
    ), locked as (
      select s.sku, s.available from skus s join wanted w on w.sku = s.sku order by s.sku for no key update of s
    ), flipped as (
      update orders set stock_state = 'SOLD'
      where id = ${orderId} and stock_state = 'RESTOCKED'
        and not exists (select 1 from locked l join wanted w on w.sku = l.sku where l.available < w.units)
      returning id
    ), taken as (
      update skus set available = skus.available - w.units
      from wanted w, flipped
      where skus.sku = w.sku
    )
    select count(*)::int as flipped from flipped`);
  return row!.flipped > 0 ? 'taken' : 'short';
}

/**
 * Every SKU's stock split, with frozen and sold summed from the orders holding them: a
 * query (sku, name, total, available, frozen, sold) to select from, for the invariant
 * checks and reports.
 */
export const skuStock = sql`(
  select s.sku, s.name, s.total, s.available,
         coalesce(sum(oi.quantity) filter (where o.stock_state = 'FROZEN'), 0)::int as frozen,
         coalesce(sum(oi.quantity) filter (where o.stock_state = 'SOLD'), 0)::int as sold
  from skus s
  left join order_items oi on oi.sku = s.sku
  left join orders o on o.id = oi.order_id
  group by s.sku
)`;
