import { desc, eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { sales, type Sale } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { SALE_DECISION_BUCKETS_MS, type SaleEndReason, type SaleState } from '@/shared/sales';
import { effectiveSaleState } from './sale-state-machine';

/** Whole units of a sale by where they are; left + reserved + sold + returnedToStock = armed (reconciliation checks it). */
export type SaleUnits = {
  armed: number;
  /** In the shards, not yet admitted. */
  left: number;
  /** Admitted and waiting for their order, or in an order waiting for payment. */
  reserved: number;
  /** In paid orders. */
  sold: number;
  /** Came back to the sale from unpaid orders while it ran (and are counted in `left` or admitted again). */
  returned: number;
  /** Went back to the SKU's normal stock: what was left when the sale ended, and unpaid orders after. */
  returnedToStock: number;
};

/** The units of the given sales, from the shards, the attempts and their orders. */
export async function saleUnits(db: Executor, saleIds: string[]): Promise<Map<string, SaleUnits>> {
  if (saleIds.length === 0) return new Map();
  const rows = await db.execute<SaleUnits & { saleId: string }>(sql`
    select s.id as "saleId", s.units_armed as armed,
      (select coalesce(sum(units_left), 0) from sale_shards sh where sh.sale_id = s.id)::int as left,
      coalesce(a.awaiting_order + a.frozen, 0)::int as reserved,
      coalesce(a.sold, 0)::int as sold,
      coalesce(a.returned, 0)::int as returned,
      (s.units_returned_at_end + coalesce(a.returned_to_stock, 0))::int as "returnedToStock"
    from sales s
    left join lateral (
      select count(*) filter (where at.order_id is null) as awaiting_order,
             count(*) filter (where o.stock_state = 'FROZEN') as frozen,
             count(*) filter (where o.stock_state in ('SOLD', 'RESTOCKED')) as sold,
             count(*) filter (where at.returned_to = 'sale') as returned,
             count(*) filter (where at.returned_to = 'stock') as returned_to_stock
      from sale_attempts at left join orders o on o.id = at.order_id
      where at.sale_id = s.id and at.outcome = 'admitted'
    ) a on true
    where s.id in ${saleIds}`);
  return new Map(rows.map(({ saleId, ...units }) => [saleId, units]));
}

export interface SaleSummary {
  id: string;
  name: string;
  sku: string;
  state: SaleState;
  endReason: SaleEndReason | null;
  priceCents: number;
  perBuyerLimit: number;
  startsAt: Date;
  endsAt: Date;
  armedBy: string;
  createdAt: Date;
  units: SaleUnits;
}

/** The most recent sales, newest first, each with its state as of now and its units. */
export async function listSales(db: Executor, input: { limit: number }): Promise<SaleSummary[]> {
  return summarize(db, await db.select({ sale: sales, now: sql<string>`now()` }).from(sales).orderBy(desc(sales.createdAt)).limit(input.limit));
}

async function summarize(db: Executor, rows: { sale: Sale; now: string }[]): Promise<SaleSummary[]> {
  const units = await saleUnits(db, rows.map((row) => row.sale.id));
  return rows.map(({ sale, now }) => ({
    id: sale.id,
    name: sale.name,
    sku: sale.sku,
    state: effectiveSaleState(sale, new Date(now)),
    endReason: sale.endReason,
    priceCents: sale.priceCents,
    perBuyerLimit: sale.perBuyerLimit,
    startsAt: sale.startsAt,
    endsAt: sale.endsAt,
    armedBy: sale.armedBy,
    createdAt: sale.createdAt,
    units: units.get(sale.id)!,
  }));
}

/** The upper bound of the bucket holding the q-quantile of decision times, in ms; null without decisions. */
export function decisionQuantileMs(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let index = 0; index < buckets.length; index++) {
    seen += buckets[index]!;
    if (seen >= q * total) return SALE_DECISION_BUCKETS_MS[index] ?? SALE_DECISION_BUCKETS_MS[SALE_DECISION_BUCKETS_MS.length - 1]!;
  }
  return SALE_DECISION_BUCKETS_MS[SALE_DECISION_BUCKETS_MS.length - 1]!;
}

/**
 * One sale's live figures for the Sales screen: its units, attempts per second by outcome over
 * the last `minutes`, p99 decision time over the last minute, how far order creation lags behind
 * admission (the oldest admitted attempt still without its order), and orders waiting for payment.
 */
export async function saleFigures(db: Executor, input: { saleId: string; minutes: number }) {
  const [summary] = await summarize(db, await db.select({ sale: sales, now: sql<string>`now()` }).from(sales).where(eq(sales.id, input.saleId)));
  if (!summary) throw new DomainError('NOT_FOUND', `Sale ${input.saleId} does not exist.`);
  const seconds = await db.execute<{ second: string; admitted: number; soldOut: number; limitReached: number; notLive: number; throttled: number; buckets: number[]; recent: boolean }>(sql`
    select second, admitted, sold_out as "soldOut", limit_reached as "limitReached", not_live as "notLive", throttled,
           decision_buckets::float8[] as buckets, second >= now() - interval '1 minute' as recent
    from sale_attempt_seconds
    where sale_id = ${input.saleId} and second >= now() - ${input.minutes} * interval '1 minute'
    order by second`);
  const recentBuckets = new Array(SALE_DECISION_BUCKETS_MS.length + 1).fill(0) as number[];
  for (const row of seconds) if (row.recent) row.buckets.forEach((count, index) => (recentBuckets[index]! += count));
  const [pipeline] = await db.execute<{ orderLagMs: number; awaitingPayment: number }>(sql`
    select coalesce((select extract(epoch from now() - min(decided_at)) * 1000 from sale_attempts
                     where sale_id = ${input.saleId} and outcome = 'admitted' and order_id is null), 0)::float8 as "orderLagMs",
           (select count(*) from sale_attempts at join orders o on o.id = at.order_id
            where at.sale_id = ${input.saleId} and at.outcome = 'admitted' and o.status = 'PENDING_PAYMENT')::int as "awaitingPayment"`);
  return {
    sale: summary,
    attemptsPerSecond: seconds.map(({ buckets: _buckets, recent: _recent, second, ...counts }) => ({ second: new Date(second), ...counts })),
    p99DecisionMs: decisionQuantileMs(recentBuckets, 0.99),
    orderLagMs: Math.round(pipeline!.orderLagMs),
    ordersAwaitingPayment: pipeline!.awaitingPayment,
  };
}
