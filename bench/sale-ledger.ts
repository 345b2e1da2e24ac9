import { sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { armSale } from '@/server/sales/arm-sale';
import { endSale } from '@/server/sales/end-sale';
import { decisionQuantileMs, saleUnits, type SaleUnits } from '@/server/sales/sale-figures';

/** The SKU load and benchmark sales sell by default: the demo catalog has 100,000 of it. */
export const LOAD_SALE_SKU = 'SKU-HEADPHONES';

/**
 * Arms a sale starting now with the product's own command (as an admin's would, without the
 * console's approval step) and resolves once the worker has started it.
 */
export async function armSaleNow(db: Database, input: { name: string; units: number; sku?: string; armedBy: string }): Promise<{ saleId: string; priceCents: number }> {
  const now = Date.now();
  const sale = await armSale(db, {
    name: input.name,
    sku: input.sku ?? LOAD_SALE_SKU,
    units: input.units,
    priceCents: 4_999,
    startsAt: new Date(now),
    endsAt: new Date(now + 30 * 60_000),
    perBuyerLimit: 1,
    armedBy: input.armedBy,
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [row] = await db.execute<{ state: string }>(sql`select state from sales where id = ${sale.id}`);
    if (row?.state === 'live') return { saleId: sale.id, priceCents: sale.priceCents };
    if (Date.now() > deadline) throw new Error(`sale ${sale.id} is still ${row?.state} a minute after its start: is the worker running?`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function endSaleNow(db: Database, saleId: string) {
  await endSale(db, { saleId, reason: 'manual' });
}

export interface SaleLedger extends SaleUnits {
  admitted: number;
  awaitingOrder: number;
  ordersCreated: number;
  buyersOverLimit: number;
  /** Most sale orders created within one second. */
  peakOrdersPerSecond: number;
  /** The order API's own decision times (request read to decision), from the figures it keeps per second: p50 and p99 bucket bounds, ms. */
  serverDecisionP50Ms: number | null;
  serverDecisionP99Ms: number | null;
}

/**
 * The sale as the database has it: its units by where they are (the same figures the Sales
 * screen and reconciliation read), plus what the benchmark checks: admitted attempts, those
 * still without their order, buyers above the limit, and the busiest second of order creation.
 */
export async function saleLedger(db: Database, saleId: string): Promise<SaleLedger> {
  const units = (await saleUnits(db, [saleId])).get(saleId)!;
  const [row] = await db.execute<Omit<SaleLedger, keyof SaleUnits | 'serverDecisionP50Ms' | 'serverDecisionP99Ms'>>(sql`
    with admitted as (select order_id, order_created_at, returned_to from sale_attempts where sale_id = ${saleId} and outcome = 'admitted')
    select
      (select count(*)::int from admitted) as "admitted",
      (select count(*)::int from admitted where order_id is null and returned_to is null) as "awaitingOrder",
      (select count(*)::int from admitted where order_id is not null) as "ordersCreated",
      (select count(*)::int from sale_buyers b join sales s on s.id = b.sale_id where b.sale_id = ${saleId} and b.units > s.highest_buyer_limit) as "buyersOverLimit",
      (select coalesce(max(created), 0)::int from (
        select count(*) as created from admitted where order_created_at is not null group by date_trunc('second', order_created_at)
      ) per_second) as "peakOrdersPerSecond"`);
  const [histogram] = await db.execute<{ buckets: number[] | null }>(sql`
    select array_agg(total order by i)::float8[] as buckets from (
      select i, sum(count) as total from sale_attempt_seconds, unnest(decision_buckets) with ordinality as b(count, i) where sale_id = ${saleId} group by i
    ) per_bucket`);
  const buckets = histogram?.buckets ?? [];
  return { ...units, ...row!, serverDecisionP50Ms: decisionQuantileMs(buckets, 0.5), serverDecisionP99Ms: decisionQuantileMs(buckets, 0.99) };
}
