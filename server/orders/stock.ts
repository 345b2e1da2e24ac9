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
  // A frozen unit of a flash-sale order goes back to its sale while the sale has not ended (the
  // shard it came from), else to normal stock. The sale row's share lock orders this with
  // endSale, which empties the shards under the row's update lock (server/sales/end-sale.ts).
  const toSale = options.backOnSale && from === 'FROZEN';
  // One statement: the state flip and the counter update cannot be separated, and it is one round trip.
  const [moved] = await tx.execute<{ flipped: number }>(sql`
    with flipped as (
      update orders set stock_state = ${to} where id = ${orderId} and stock_state = ${from} returning id
    ), sale_unit as (
      select a.sale_id, a.attempt_id, a.shard, s.state = 'ended' as ended
      from sale_attempts a join sales s on s.id = a.sale_id
      where ${toSale} and a.order_id = ${orderId} and exists (select 1 from flipped)
      for share of s
    ), back_to_sale as (
      update sale_shards sh set units_left = sh.units_left + 1
      from sale_unit u where not u.ended and sh.sale_id = u.sale_id and sh.shard = u.shard
    ), marked as (
      update sale_attempts a set returned_to = case when u.ended then 'stock'::sale_return else 'sale'::sale_return end
      from sale_unit u where a.sale_id = u.sale_id and a.attempt_id = u.attempt_id
    ), returned as (
      update skus set available = skus.available + oi.quantity
      from order_items oi join flipped on flipped.id = oi.order_id
      where ${options.backOnSale} and skus.sku = oi.sku and not exists (select 1 from sale_unit u where not u.ended)
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
 * Every SKU's stock split, with frozen and sold summed from the orders holding them, and
 * `held` the units flash sales took from it that are not in an order: in their shards, or
 * admitted and waiting for the order. A query (sku, name, total, available, frozen, sold,
 * held) to select from, for the invariant checks and reports.
 */
export const skuStock = sql`(
  select s.sku, s.name, s.total, s.available,
         coalesce(sum(oi.quantity) filter (where o.stock_state = 'FROZEN'), 0)::int as frozen,
         coalesce(sum(oi.quantity) filter (where o.stock_state = 'SOLD'), 0)::int as sold,
         (coalesce((select sum(sh.units_left) from sale_shards sh join sales sa on sa.id = sh.sale_id where sa.sku = s.sku), 0)
          + (select count(*) from sale_attempts at join sales sa on sa.id = at.sale_id
             where sa.sku = s.sku and at.outcome = 'admitted' and at.order_id is null))::int as held
  from skus s
  left join order_items oi on oi.sku = s.sku
  left join orders o on o.id = oi.order_id
  group by s.sku
)`;
