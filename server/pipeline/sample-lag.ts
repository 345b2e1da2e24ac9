import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/** Samples kept for the lag history chart. */
export const LAG_HISTORY_RETENTION_HOURS = 24;

/** Appends one lag sample per group and prunes samples past the retention. Run by the relay leader. */
export async function sampleLag(db: Executor): Promise<void> {
  await db.execute(sql`
    insert into lag_samples ("group", lag, oldest_unconsumed_age_ms, handled_count)
    select o."group",
           sum(greatest(p.next_offset - o.committed_offset, 0)),
           max(case when p.next_offset > o.committed_offset then (
             select (extract(epoch from now() - e.deliver_at) * 1000)::bigint
             from events e where e.partition = o.partition and e."offset" = o.committed_offset
           ) end),
           sum(o.handled_count)
    from consumer_offsets o join log_partitions p on p.partition = o.partition
    group by o."group"`);
  await db.execute(sql`
    delete from lag_samples where sampled_at < now() - ${LAG_HISTORY_RETENTION_HOURS} * interval '1 hour'`);
}
