import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { endSale } from './end-sale';

/**
 * Ends as sold out each sale, among those the given paid orders belong to, whose every unit is
 * in a paid order: none left in its shards, none admitted without its order, none in an order
 * still waiting for payment (which could still come back to the sale). Called with the orders
 * of a batch of OrderPaid events, so the check runs once per batch, not once per payment.
 */
export async function endSoldOutSales(tx: Executor, paidOrderIds: readonly string[]): Promise<string[]> {
  if (paidOrderIds.length === 0) return [];
  const soldOut = await tx.execute<{ saleId: string }>(sql`
    select distinct a.sale_id as "saleId"
    from sale_attempts a join sales s on s.id = a.sale_id
    where a.order_id = any(${sql.param([...paidOrderIds])}::text[]) and s.state <> 'ended'
      and not exists (select 1 from sale_shards sh where sh.sale_id = a.sale_id and sh.units_left > 0)
      and not exists (select 1 from sale_attempts w where w.sale_id = a.sale_id and w.outcome = 'admitted' and w.order_id is null)
      and not exists (
        select 1 from sale_attempts r join orders o on o.id = r.order_id
        where r.sale_id = a.sale_id and r.outcome = 'admitted' and o.stock_state = 'FROZEN')`);
  for (const { saleId } of soldOut) await endSale(tx, { saleId, reason: 'sold_out' });
  return soldOut.map((row) => row.saleId);
}
