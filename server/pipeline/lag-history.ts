import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { parseTimestamps } from '@/db/parse-timestamps';

export type LagPoint = {
  sampledAt: Date;
  group: string;
  lag: number;
  oldestUnconsumedAgeMs: number | null;
};

/** Lag samples since a time (default: the last hour), oldest first, for the queues chart. */
export async function getLagHistory(db: Executor, filter: { group?: string; since?: Date } = {}): Promise<LagPoint[]> {
  const since = filter.since ?? new Date(Date.now() - 60 * 60_000);
  const rows = await db.execute<LagPoint>(sql`
    select sampled_at as "sampledAt", "group", lag::float8 as lag, oldest_unconsumed_age_ms::float8 as "oldestUnconsumedAgeMs"
    from lag_samples
    where sampled_at >= ${since.toISOString()}::timestamptz and (${filter.group ?? null}::text is null or "group" = ${filter.group ?? null})
    order by sampled_at, "group"`);
  return parseTimestamps(rows, ['sampledAt']);
}
