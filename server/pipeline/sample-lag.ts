import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/** Samples kept for the lag history chart. */
export const LAG_HISTORY_RETENTION_HOURS = 24;

/** Appends one lag sample per group and prunes samples past the retention. Run by the relay leader. */
export async function sampleLag(db: Executor): Promise<void> {
  await recordLagSamples(
    db,
    sql`
      select now(), o."group",
             sum(greatest(p.next_offset - o.committed_offset, 0)),
             max(case when p.next_offset > o.committed_offset then (
               select (extract(epoch from now() - e.deliver_at) * 1000)::bigint
               from events e where e.partition = o.partition and e."offset" = o.committed_offset
             ) end),
             sum(o.handled_count)
      from consumer_offsets o join log_partitions p on p.partition = o.partition
      group by o."group"`,
  );
  await db.execute(sql`
    delete from lag_samples where sampled_at < now() - ${LAG_HISTORY_RETENTION_HOURS} * interval '1 hour'`);
  await db.execute(sql`
    delete from lag_minutes where minute < now() - ${LAG_HISTORY_RETENTION_HOURS} * interval '1 hour'`);
}

/**
 * Inserts samples — `samples` selects (sampled_at, group, lag, oldest_unconsumed_age_ms,
 * handled_count) — and raises their minutes in lag_minutes in the same statement, so the
 * summary never misses a sample.
 */
export async function recordLagSamples(db: Executor, samples: SQL): Promise<void> {
  await db.execute(sql`
    with sampled as (
      insert into lag_samples (sampled_at, "group", lag, oldest_unconsumed_age_ms, handled_count)
      ${samples}
      returning sampled_at, "group", lag, oldest_unconsumed_age_ms
    )
    insert into lag_minutes (minute, "group", lag, oldest_unconsumed_age_ms)
    select date_trunc('minute', sampled_at), "group", max(lag), max(oldest_unconsumed_age_ms) from sampled group by 1, 2
    on conflict (minute, "group") do update set
      lag = greatest(lag_minutes.lag, excluded.lag),
      oldest_unconsumed_age_ms = greatest(lag_minutes.oldest_unconsumed_age_ms, excluded.oldest_unconsumed_age_ms)`);
}
