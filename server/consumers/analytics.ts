import { sql } from 'drizzle-orm';
import type { Transaction } from '@/db/client';
import { salesFacts } from '@/db/schema';
import { parseOrderEvent, type LineItem } from '@/server/orders/events';
import { defineConsumer } from '@/server/pipeline/define-consumer';

/** Counts a business fact once (per order and fact), whatever number of events carry it. */
async function countOnce(tx: Transaction, orderId: string, fact: 'paid' | 'refunded'): Promise<boolean> {
  const inserted = await tx.insert(salesFacts).values({ orderId, fact }).onConflictDoNothing().returning({ orderId: salesFacts.orderId });
  return inserted.length > 0;
}

async function addToHour(tx: Transaction, at: string, items: LineItem[], column: 'paid' | 'refunded') {
  const rows = items.map((item) => ({ sku: item.sku, units: item.quantity, cents: item.quantity * item.unitPriceCents }));
  const increments =
    column === 'paid'
      ? sql`orders_paid = sales_hourly.orders_paid + excluded.orders_paid, units_sold = sales_hourly.units_sold + excluded.units_sold, gmv_cents = sales_hourly.gmv_cents + excluded.gmv_cents`
      : sql`refunds = sales_hourly.refunds + excluded.refunds, refunded_cents = sales_hourly.refunded_cents + excluded.refunded_cents`;
  const columns = column === 'paid' ? sql`orders_paid, units_sold, gmv_cents` : sql`refunds, refunded_cents`;
  const values = column === 'paid' ? sql`1, r.units, r.cents` : sql`1, r.cents`;
  await tx.execute(sql`
    insert into sales_hourly (hour, sku, ${columns})
    select date_trunc('hour', ${at}::timestamptz), r.sku, ${values}
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(sku text, units int, cents int)
    on conflict (hour, sku) do update set ${increments}`);
}

/**
 * The data team's projection: orders paid, units, GMV and refunds per hour and SKU, fed
 * only by events, so reports never query the order tables.
 */
export const analyticsConsumer = defineConsumer({
  group: 'analytics',
  topics: ['orders'],
  types: ['OrderPaid', 'RefundSucceeded'],
  handler: async (event, { tx }) => {
    if (event.type === 'OrderPaid') {
      const paid = parseOrderEvent('OrderPaid', event);
      if (await countOnce(tx, paid.orderId, 'paid')) await addToHour(tx, paid.paidAt, paid.items, 'paid');
      return;
    }
    const refunded = parseOrderEvent('RefundSucceeded', event);
    if (refunded.reversesSale && (await countOnce(tx, refunded.orderId, 'refunded'))) await addToHour(tx, refunded.refundedAt, refunded.items, 'refunded');
  },
});
