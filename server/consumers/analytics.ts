import { sql } from 'drizzle-orm';
import type { Executor, Transaction } from '@/db/client';
import { salesFacts } from '@/db/schema';
import { parseOrderEvent, type LineItem } from '@/server/orders/events';
import { defineConsumer, type PipelineEvent } from '@/server/pipeline';
import { ANALYTICS_GROUP } from './groups';

type SalesFact = { orderId: string; fact: 'paid' | 'refunded'; at: string; items: LineItem[] };

function salesFact(event: PipelineEvent): SalesFact | null {
  if (event.type === 'OrderPaid') {
    const paid = parseOrderEvent('OrderPaid', event);
    return { orderId: paid.orderId, fact: 'paid', at: paid.paidAt, items: paid.items };
  }
  const refunded = parseOrderEvent('RefundSucceeded', event);
  return refunded.reversesSale ? { orderId: refunded.orderId, fact: 'refunded', at: refunded.refundedAt, items: refunded.items } : null;
}

/**
 * Adds facts to the hourly projection and its rollups, each at most once: `sales_facts` remembers which
 * (order, fact) pairs were counted, so a replayed or re-emitted event adds nothing.
 */
async function project(tx: Transaction, facts: SalesFact[]) {
  const unique = [...new Map(facts.map((fact) => [`${fact.orderId}:${fact.fact}`, fact])).values()];
  if (unique.length === 0) return;
  const counted = await tx
    .insert(salesFacts)
    .values(unique.map(({ orderId, fact }) => ({ orderId, fact })))
    .onConflictDoNothing()
    .returning({ orderId: salesFacts.orderId, fact: salesFacts.fact });
  const fresh = new Set(counted.map((row) => `${row.orderId}:${row.fact}`));
  await addSales(
    tx,
    unique
      .filter((fact) => fresh.has(`${fact.orderId}:${fact.fact}`))
      .flatMap((fact) => fact.items.map((item) => ({ at: fact.at, fact: fact.fact, sku: item.sku, units: item.quantity, cents: item.quantity * item.unitPriceCents }))),
  );
}

export type SaleLine = { at: string; fact: SalesFact['fact']; sku: string; units: number; cents: number };

/** Adds counted sale lines to the projection; the caller has made sure each is counted once. */
export async function addSales(tx: Executor, rows: SaleLine[]) {
  if (rows.length === 0) return;
  // One statement adds the same increments to the hourly projection and to its two rollups, so the
  // report's chart (totals per hour) and top SKUs (per UTC day) always agree with sales_hourly.
  // Every analytics batch now updates the same hour's totals row: rows are written in key order,
  // so two batches that span the same hours wait for each other instead of deadlocking.
  await tx.execute(sql`
    with increments as (
      select date_trunc('hour', r.at) as hour, r.sku,
             count(*) filter (where r.fact = 'paid') as orders_paid, coalesce(sum(r.units) filter (where r.fact = 'paid'), 0) as units_sold,
             coalesce(sum(r.cents) filter (where r.fact = 'paid'), 0) as gmv_cents,
             count(*) filter (where r.fact = 'refunded') as refunds, coalesce(sum(r.cents) filter (where r.fact = 'refunded'), 0) as refunded_cents
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(at timestamptz, fact text, sku text, units int, cents int)
      group by 1, 2
    ), hourly as (
      insert into sales_hourly (hour, sku, orders_paid, units_sold, gmv_cents, refunds, refunded_cents)
      select hour, sku, orders_paid, units_sold, gmv_cents, refunds, refunded_cents from increments order by hour, sku
      on conflict (hour, sku) do update set
        orders_paid = sales_hourly.orders_paid + excluded.orders_paid,
        units_sold = sales_hourly.units_sold + excluded.units_sold,
        gmv_cents = sales_hourly.gmv_cents + excluded.gmv_cents,
        refunds = sales_hourly.refunds + excluded.refunds,
        refunded_cents = sales_hourly.refunded_cents + excluded.refunded_cents
    ), totals as (
      insert into sales_hourly_totals (hour, orders_paid, units_sold, gmv_cents, refunds, refunded_cents)
      select hour, sum(orders_paid), sum(units_sold), sum(gmv_cents), sum(refunds), sum(refunded_cents) from increments group by hour order by hour
      on conflict (hour) do update set
        orders_paid = sales_hourly_totals.orders_paid + excluded.orders_paid,
        units_sold = sales_hourly_totals.units_sold + excluded.units_sold,
        gmv_cents = sales_hourly_totals.gmv_cents + excluded.gmv_cents,
        refunds = sales_hourly_totals.refunds + excluded.refunds,
        refunded_cents = sales_hourly_totals.refunded_cents + excluded.refunded_cents
    )
    insert into sales_daily (day, sku, orders_paid, units_sold, gmv_cents, refunds, refunded_cents)
    select date_trunc('day', hour, 'UTC'), sku, sum(orders_paid), sum(units_sold), sum(gmv_cents), sum(refunds), sum(refunded_cents)
    from increments group by 1, 2 order by 1, 2
    on conflict (day, sku) do update set
      orders_paid = sales_daily.orders_paid + excluded.orders_paid,
      units_sold = sales_daily.units_sold + excluded.units_sold,
      gmv_cents = sales_daily.gmv_cents + excluded.gmv_cents,
      refunds = sales_daily.refunds + excluded.refunds,
      refunded_cents = sales_daily.refunded_cents + excluded.refunded_cents`);
}

/**
 * The data team's projection: orders paid, units, GMV and refunds per hour and SKU, fed
 * only by events, so reports never query the order tables.
 */
export const analyticsConsumer = defineConsumer({
  group: ANALYTICS_GROUP,
  topics: ['orders'],
  types: ['OrderPaid', 'RefundSucceeded'],
  handler: async (event, { tx }) => {
    const fact = salesFact(event);
    if (fact) await project(tx, [fact]);
  },
  handleBatch: async (events, { tx }) => {
    await project(tx, events.map(salesFact).filter((fact) => fact !== null));
  },
});
