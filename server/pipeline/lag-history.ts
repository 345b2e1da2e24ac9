import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { parseTimestamps } from '@/db/parse-timestamps';

export type LagPoint = {
  sampledAt: Date;
  group: string;
  lag: number;
  oldestUnconsumedAgeMs: number | null;
};

/** A chart has no use for more points per group than this; a longer window is summarised in buckets. */
const MAX_POINTS_PER_GROUP = 360;
/** Up to this window the samples come back as taken (every 5 s by default, start-pipeline's sampleIntervalMs). */
const RAW_WINDOW_MS = 30 * 60_000;
/** From this window on a bucket spans whole minutes, and the buckets are made of lag_minutes' rows. */
const MINUTE_BUCKETS_FROM_MS = MAX_POINTS_PER_GROUP * 60_000;

/**
 * Lag samples since a time (default: the last hour), oldest first, for the queues chart. Over
 * more than half an hour, samples are summarised into at most MAX_POINTS_PER_GROUP buckets per group,
 * each keeping its highest lag and oldest age, so a peak never disappears from a day's chart and
 * the answer stays a few hundred points whatever the window. Over six hours or more the buckets
 * are whole minutes from the minute of `since` (its first bucket may hold up to a minute before
 * `since`), read from the per-minute summary: a day is 1,440 rows a group instead of 17,280.
 */
export async function getLagHistory(db: Executor, filter: { group?: string; since?: Date } = {}): Promise<LagPoint[]> {
  const since = filter.since ?? new Date(Date.now() - 60 * 60_000);
  const windowMs = Date.now() - since.getTime();
  const ofGroup = sql`(${filter.group ?? null}::text is null or "group" = ${filter.group ?? null})`;
  const where = sql`sampled_at >= ${since.toISOString()}::timestamptz and ${ofGroup}`;
  const rows =
    windowMs <= RAW_WINDOW_MS
      ? await db.execute<LagPoint>(sql`
          select sampled_at as "sampledAt", "group", lag::float8 as lag, oldest_unconsumed_age_ms::float8 as "oldestUnconsumedAgeMs"
          from lag_samples where ${where}
          order by sampled_at, "group"`)
      : windowMs < MINUTE_BUCKETS_FROM_MS
        ? await db.execute<LagPoint>(sql`
          select date_bin(${Math.ceil(windowMs / MAX_POINTS_PER_GROUP)} * interval '1 millisecond', sampled_at, ${since.toISOString()}::timestamptz) as "sampledAt",
                 "group", max(lag)::float8 as lag, max(oldest_unconsumed_age_ms)::float8 as "oldestUnconsumedAgeMs"
          from lag_samples where ${where}
          group by 1, "group"
          order by 1, "group"`)
        : await db.execute<LagPoint>(sql`
          select date_bin(${Math.ceil(Math.round(windowMs / 60_000) / MAX_POINTS_PER_GROUP)} * interval '1 minute', minute, date_trunc('minute', ${since.toISOString()}::timestamptz)) as "sampledAt",
                 "group", max(lag)::float8 as lag, max(oldest_unconsumed_age_ms)::float8 as "oldestUnconsumedAgeMs"
          from lag_minutes where minute >= date_trunc('minute', ${since.toISOString()}::timestamptz) and ${ofGroup}
          group by 1, "group"
          order by 1, "group"`);
  return parseTimestamps(rows, ['sampledAt']);
}

/** Events handled per minute per group over the last minutes, from the lag samples; `minute` is an ISO string. */
export async function getThroughputHistory(db: Executor, input: { minutes: number }) {
  return db.execute<{ minute: string; group: string; handled: number }>(sql`
    select to_char(minute at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:00"Z"') as minute, "group", greatest(max(handled_count) - min(handled_count), 0)::float8 as handled
      from (select date_trunc('minute', sampled_at) as minute, "group", handled_count from lag_samples
             where sampled_at >= now() - ${input.minutes} * interval '1 minute') samples
     group by minute, "group" order by minute, "group"`);
}

/**
 * Groups whose lag (events) or oldest unconsumed age (ms) stayed above `threshold` in every
 * sample of the last `forMinutes`, with samples covering (most of) that span; `lowest` is
 * the smallest value seen.
 */
export async function getSustainedLag(db: Executor, input: { measure: 'lag' | 'oldestUnconsumedAgeMs'; threshold: number; forMinutes: number }) {
  const column = sql.raw(input.measure === 'lag' ? 'lag' : 'oldest_unconsumed_age_ms');
  return db.execute<{ group: string; lowest: number; samples: number }>(sql`
    select "group", min(coalesce(${column}, 0))::float8 as lowest, count(*)::int as samples
      from lag_samples where sampled_at >= now() - ${input.forMinutes} * interval '1 minute'
     group by "group"
    having min(coalesce(${column}, 0)) > ${input.threshold}
       and min(sampled_at) <= now() - ${input.forMinutes * 0.8} * interval '1 minute'`);
}
