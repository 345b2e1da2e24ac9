import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/** The part of a partition an offset reset moved a group back over: its events at offsets [to, from) are delivered again. */
export type RewoundRange = { partition: number; from: number; to: number };

export type OffsetResetProgress = {
  /** Events of the ranges the group subscribes to and has not yet passed again (the reset's count, as it goes down). */
  remaining: number;
  /** Events passed again whose redelivery failed: retrying now, or dead again. */
  failures: number;
  /** The group's committed offset is at or past the end of every range. */
  caughtUp: boolean;
};

/**
 * How far a group has come redelivering what an offset reset moved it back over, from its
 * committed offsets: the events still ahead of them are counted as the reset counted them
 * (subscribed, not held by a retry), so `remaining` starts at the reset's count and reaches 0
 * as the group catches up. The offsets and the log's index are in PostgreSQL whichever log
 * runs, so this holds on the NATS log too. Events only ahead of the offset are counted, and
 * retention deletes only consumed ones, so the count never jumps because of it. The worker
 * asks once a second while the redelivery runs: the read covers what is left of the ranges
 * (by events_partition_offset_idx) and the group's failures since the reset.
 */
export async function offsetResetProgress(db: Executor, input: { group: string; ranges: readonly RewoundRange[]; since: Date }): Promise<OffsetResetProgress> {
  if (input.ranges.length === 0) return { remaining: 0, failures: 0, caughtUp: true };
  const since = input.since.toISOString();
  const [row] = await db.execute<OffsetResetProgress>(sql`
    with ranges as (
      select m.partition, m.from_offset, m.to_offset, coalesce(o.committed_offset, m.to_offset) as committed
      from unnest(${sql.param(input.ranges.map((range) => range.partition))}::int[], ${sql.param(input.ranges.map((range) => range.from))}::int8[],
                  ${sql.param(input.ranges.map((range) => range.to))}::int8[]) as m(partition, from_offset, to_offset)
      left join consumer_offsets o on o."group" = ${input.group} and o.partition = m.partition
    ), failed as (
      select event_id from retries where "group" = ${input.group} and created_at >= ${since}::timestamptz
      union
      select event_id from dead_letters where "group" = ${input.group} and dead_at >= ${since}::timestamptz
    )
    select
      -- Only what is still ahead of the offsets is read, so the statement shrinks as the group catches up.
      (select count(*) from ranges r
         join events e on e.partition = r.partition and e."offset" >= greatest(r.to_offset, r.committed) and e."offset" < r.from_offset
         join consumer_groups g on g."group" = ${input.group}
        where (g.types is null or e.type = any(g.types)) and (g.topics is null or e.topic = any(g.topics))
          and not exists (select 1 from retries t where t."group" = ${input.group} and t.event_id = e.id))::int as remaining,
      -- Failures start from the group's retries and dead letters since the reset, which are few.
      (select count(*) from failed f
         join events e on e.id = f.event_id
         join ranges r on r.partition = e.partition and e."offset" >= r.to_offset and e."offset" < least(r.committed, r.from_offset))::int as failures,
      (select bool_and(r.committed >= r.from_offset) from ranges r) as "caughtUp"`);
  return row!;
}
