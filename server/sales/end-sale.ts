import { eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { sales } from '@/db/schema';
import type { SaleEndReason } from '@/shared/sales';
import { lockSale } from './sale';
import { canSaleTransition } from './sale-state-machine';

/**
 * Ends a sale and gives its units not admitted back to the SKU's normal stock, in one
 * transaction. The sale row is locked first, so an unpaid order's unit being returned at the
 * same moment (which holds the row's share lock, see stock.ts) lands in the shards before they
 * are emptied, or in normal stock after. Ending by hand works from any state not yet ended,
 * also after the end time, when the clock has not ended it yet. Emptying a shard waits for an admission statement
 * that holds it; one that waited for this instead finds it empty. So no unit is both returned
 * and admitted. Ending an ended sale changes nothing.
 */
export async function endSale(db: Executor, input: { saleId: string; reason: SaleEndReason }) {
  return db.transaction(async (tx) => {
    const sale = await lockSale(tx, input.saleId);
    // Ended already, or a time-up delivered before the end time (a replay): nothing to do.
    if (!canSaleTransition(sale.state, 'end') || (input.reason === 'time_up' && sale.now < sale.endsAt)) {
      return { saleId: sale.id, state: sale.state, endReason: sale.endReason, unitsReturned: 0 };
    }
    const [emptied] = await tx.execute<{ units: number }>(sql`
      with held as (
        select shard, units_left from sale_shards where sale_id = ${sale.id} order by shard for update
      ), emptied as (
        update sale_shards s set units_left = 0 from held where s.sale_id = ${sale.id} and s.shard = held.shard and held.units_left > 0
        returning held.units_left
      )
      select coalesce(sum(units_left), 0)::int as units from emptied`);
    const units = emptied!.units;
    if (units > 0) await tx.execute(sql`update skus set available = available + ${units} where sku = ${sale.sku}`);
    await tx
      .update(sales)
      .set({ state: 'ended', endReason: input.reason, endedAt: sql`now()`, unitsReturnedAtEnd: units, updatedAt: sql`now()` })
      .where(eq(sales.id, sale.id));
    return { saleId: sale.id, state: 'ended' as const, endReason: input.reason, unitsReturned: units };
  });
}
