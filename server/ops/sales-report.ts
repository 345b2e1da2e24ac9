import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { getThroughputHistory } from '@/server/pipeline';

/**
 * Reports for the data team, read from the analytics projection (sales_hourly and its rollups
 * sales_hourly_totals and sales_daily) only: the order tables are never touched, so a report at
 * peak time cannot slow the shop down.
 */
export async function salesOverTime(db: Executor, input: { hours: number }) {
  const rows = await db.execute<{ hour: string; ordersPaid: number; gmvCents: number; refunds: number; refundedCents: number; unitsSold: number }>(sql`
    select to_char(hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"') as hour,
           orders_paid as "ordersPaid", units_sold as "unitsSold", gmv_cents::float8 as "gmvCents",
           refunds, refunded_cents::float8 as "refundedCents"
      from sales_hourly_totals
     where hour >= date_trunc('hour', now()) - ${input.hours - 1} * interval '1 hour'
     order by hour`);
  return rows.map((row) => ({ ...row, refundRate: row.ordersPaid ? row.refunds / row.ordersPaid : 0 }));
}

export async function salesBySku(db: Executor, input: { hours: number; limit: number }) {
  const rows = await db.execute<{ sku: string; ordersPaid: number; unitsSold: number; gmvCents: number; refunds: number; refundedCents: number }>(sql`
    with window_start as (select date_trunc('hour', now()) - ${input.hours - 1} * interval '1 hour' as hour),
    -- The first midnight (UTC) at or after the window's start: whole days from there on come from sales_daily.
    first_whole_day as (select date_trunc('day', hour - interval '1 microsecond', 'UTC') + interval '1 day' as day from window_start),
    in_window as (
      select h.sku, h.orders_paid, h.units_sold, h.gmv_cents::int8, h.refunds, h.refunded_cents::int8
        from sales_hourly h, window_start, first_whole_day
       where h.hour >= window_start.hour and h.hour < first_whole_day.day
      union all
      select d.sku, d.orders_paid, d.units_sold, d.gmv_cents, d.refunds, d.refunded_cents
        from sales_daily d, first_whole_day
       where d.day >= first_whole_day.day
    )
    select sku, sum(orders_paid)::int as "ordersPaid", sum(units_sold)::int as "unitsSold", sum(gmv_cents)::float8 as "gmvCents",
           sum(refunds)::int as refunds, sum(refunded_cents)::float8 as "refundedCents"
      from in_window
     group by sku order by sum(gmv_cents) desc limit ${input.limit}`);
  return rows.map((row) => ({ ...row, refundRate: row.ordersPaid ? row.refunds / row.ordersPaid : 0 }));
}

/** Events handled per minute per consumer group, from the pipeline's lag samples. */
export async function pipelineThroughputHistory(db: Executor, input: { minutes: number }) {
  return getThroughputHistory(db, input);
}
