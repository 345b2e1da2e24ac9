import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { HTTP_DURATION_BUCKETS, httpRequestDuration } from './metrics';
import { startPeriodicFlush } from './periodic-flush';

/** Requests per bucket of HTTP_DURATION_BUCKETS, plus one above the highest bound. */
export type BucketCounts = number[];

/** This process's request counts per bucket for a route so far (summed over methods and statuses). */
export async function routeBucketCounts(route: string): Promise<BucketCounts> {
  const { values } = await httpRequestDuration().get();
  const cumulative = new Map<string, number>();
  for (const value of values) {
    if (value.metricName !== 'conveyor_http_request_duration_seconds_bucket' || value.labels.route !== route) continue;
    const le = String(value.labels.le);
    cumulative.set(le, (cumulative.get(le) ?? 0) + value.value);
  }
  const bounds = [...HTTP_DURATION_BUCKETS.map(String), '+Inf'];
  return bounds.map((le, index) => (cumulative.get(le) ?? 0) - (index === 0 ? 0 : (cumulative.get(bounds[index - 1]!) ?? 0)));
}

/** Adds counts to the current minute's row of a route; rows of several processes add up. */
export async function addLatencyCounts(db: Executor, route: string, counts: BucketCounts): Promise<void> {
  if (counts.every((count) => count === 0)) return;
  await db.execute(sql`
    insert into http_latency_minutes as m (route, minute, bucket_counts)
    values (${route}, date_trunc('minute', now()), ${sql.param(counts)}::int8[])
    on conflict (route, minute) do update
      set bucket_counts = (select array_agg(a + b order by i) from unnest(m.bucket_counts, excluded.bucket_counts) with ordinality as t(a, b, i))`);
}

/**
 * Copies the process's request-duration histogram of some routes into http_latency_minutes
 * every `everyMs`, as the counts added since the last copy. The request path never waits on it.
 */
export function startLatencyRecorder(input: { db: Executor; routes: string[]; everyMs?: number; onError?: (error: unknown) => void }) {
  const previous = new Map<string, BucketCounts>();
  const flush = async () => {
    for (const route of input.routes) {
      const now = await routeBucketCounts(route);
      const before = previous.get(route) ?? now.map(() => 0);
      await addLatencyCounts(input.db, route, now.map((count, index) => count - before[index]!));
      previous.set(route, now);
    }
  };
  return startPeriodicFlush(flush, { everyMs: input.everyMs ?? 10_000, onError: input.onError });
}

/** The q-quantile (0..1) of bucketed durations in milliseconds, interpolated inside its bucket; null without requests. */
export function quantileMs(counts: BucketCounts, q: number): number | null {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let index = 0; index < counts.length; index++) {
    const count = counts[index]!;
    if (seen + count >= rank && count > 0) {
      const lower = index === 0 ? 0 : HTTP_DURATION_BUCKETS[index - 1]!;
      // Above the highest bound there is nothing to interpolate to: report the bound.
      const upper = HTTP_DURATION_BUCKETS[index] ?? HTTP_DURATION_BUCKETS[HTTP_DURATION_BUCKETS.length - 1]!;
      return (lower + (upper - lower) * ((rank - seen) / count)) * 1000;
    }
    seen += count;
  }
  return HTTP_DURATION_BUCKETS[HTTP_DURATION_BUCKETS.length - 1]! * 1000;
}

/** Per minute of the last `minutes`, a route's bucket counts summed over every order-API process. */
export async function latencyMinutes(db: Executor, input: { route: string; minutes: number }) {
  const rows = await db.execute<{ minute: Date | string; bucketCounts: number[] }>(sql`
    select minute, bucket_counts::float8[] as "bucketCounts" from http_latency_minutes
    where route = ${input.route} and minute >= date_trunc('minute', now()) - ${input.minutes} * interval '1 minute'
    order by minute`);
  return rows.map((row) => ({ minute: new Date(row.minute), bucketCounts: row.bucketCounts }));
}
