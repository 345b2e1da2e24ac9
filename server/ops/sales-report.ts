import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { getThroughputHistory } from '@/server/pipeline';

/**
 * Reports for the data team, read from the analytics projection (sales_hourly) only: the
 * order tables are never touched, so a report at peak time cannot slow the shop down.
 */
export async function salesOverTime(db: Executor, input: { hours: number }) {
  const rows = await db.execute<{ hour: string; ordersPaid: number; gmvCents: number; refunds: number; refundedCents: number; unitsSold: number }>(sql`
    select to_char(hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"') as hour,
           sum(orders_paid)::int as "ordersPaid", sum(units_sold)::int as "unitsSold", sum(gmv_cents)::float8 as "gmvCents",
           sum(refunds)::int as refunds, sum(refunded_cents)::float8 as "refundedCents"
      from sales_hourly
     where hour >= date_trunc('hour', now()) - ${input.hours - 1} * interval '1 hour'
     group by hour order by hour`);
  return rows.map((row) => ({ ...row, refundRate: row.ordersPaid ? row.refunds / row.ordersPaid : 0 }));
}

export async function salesBySku(db: Executor, input: { hours: number; limit: number }) {
  const rows = await db.execute<{ sku: string; ordersPaid: number; unitsSold: number; gmvCents: number; refunds: number; refundedCents: number }>(sql`
    select sku, sum(orders_paid)::int as "ordersPaid", sum(units_sold)::int as "unitsSold", sum(gmv_cents)::float8 as "gmvCents",
           sum(refunds)::int as refunds, sum(refunded_cents)::float8 as "refundedCents"
      from sales_hourly
     where hour >= date_trunc('hour', now()) - ${input.hours - 1} * interval '1 hour'
     group by sku order by sum(gmv_cents) desc limit ${input.limit}`);
  return rows.map((row) => ({ ...row, refundRate: row.ordersPaid ? row.refunds / row.ordersPaid : 0 }));
}

/** Events handled per minute per consumer group, from the pipeline's lag samples. */
export async function pipelineThroughputHistory(db: Executor, input: { minutes: number }) {
  return getThroughputHistory(db, input);
}
