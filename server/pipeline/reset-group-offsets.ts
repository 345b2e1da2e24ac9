import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { notifyLogChanged } from './notify-workers';

/** Where to move a group: the first event logged at or after a time, or the first event kept at or after an offset. */
export type OffsetResetTarget = { time: Date } | { offset: number };

export type PartitionOffsetReset = {
  partition: number;
  from: number;
  to: number;
  /** Events the group subscribes to that will be delivered again (moving back). */
  redelivered: number;
  /** Events the group subscribes to that will never be delivered (moving forward). */
  skipped: number;
};

export interface ResetGroupOffsetsResult {
  dryRun: boolean;
  redelivered: number;
  skipped: number;
  partitions: PartitionOffsetReset[];
}

/**
 * Moves a group's committed offsets (all partitions, or some). Run with `dryRun` first: it
 * returns exactly the counts the real reset acts on, and locks nothing (a preview must not
 * stall the workers committing offsets of the group). Moving back clears the group's
 * processed marks for the rewound events, since redelivering them to the handler is the
 * point; events owned by a pending retry stay with the retry. A worker's in-flight batch
 * on a moved partition fails its offset guard and is rolled back.
 */
export async function resetGroupOffsets(
  db: Executor,
  input: { group: string; to: OffsetResetTarget; partitions?: number[]; actor: string; dryRun?: boolean },
): Promise<ResetGroupOffsetsResult> {
  const time = 'time' in input.to ? input.to.time.toISOString() : null;
  const offset = 'offset' in input.to ? input.to.offset : null;
  return db.transaction(async (tx) => {
    const partitions = await tx.execute<PartitionOffsetReset>(sql`
      with targets as (
        select o.partition, o.committed_offset as from_offset,
               -- The first event still in the log at or after the target, else the end of the
               -- log: an offset that retention deleted the events behind would show as lag that
               -- no worker can ever consume.
               coalesce(
                 (select min(e."offset") from events e
                  where e.partition = o.partition
                    and case when ${time}::timestamptz is not null then e.logged_at >= ${time}::timestamptz else e."offset" >= ${offset}::int8 end),
                 p.next_offset
               ) as to_offset
        from consumer_offsets o join log_partitions p on p.partition = o.partition
        where o."group" = ${input.group}
          and (${input.partitions ? sql.param(input.partitions) : null}::int[] is null or o.partition = any(${input.partitions ? sql.param(input.partitions) : null}::int[]))
        ${input.dryRun ? sql`` : sql`for update of o`}
      ), subscribed as (
        select e.partition, e."offset", exists (select 1 from retries r where r."group" = g."group" and r.event_id = e.id) as in_retry
        from targets t
        join events e on e.partition = t.partition
          and e."offset" >= least(t.from_offset, t.to_offset) and e."offset" < greatest(t.from_offset, t.to_offset)
        join consumer_groups g on g."group" = ${input.group}
        where (g.types is null or e.type = any(g.types)) and (g.topics is null or e.topic = any(g.topics))
      )
      select t.partition, t.from_offset::float8 as "from", t.to_offset::float8 as "to",
             (select count(*) from subscribed s where s.partition = t.partition and s."offset" >= t.to_offset and not s.in_retry)::int as redelivered,
             (select count(*) from subscribed s where s.partition = t.partition and s."offset" >= t.from_offset)::int as skipped
      from targets t
      order by t.partition`);
    const result: ResetGroupOffsetsResult = {
      dryRun: Boolean(input.dryRun),
      redelivered: partitions.reduce((sum, partition) => sum + partition.redelivered, 0),
      skipped: partitions.reduce((sum, partition) => sum + partition.skipped, 0),
      partitions: [...partitions],
    };
    if (input.dryRun) return result;

    const moves = partitions.filter((partition) => partition.from !== partition.to);
    if (moves.length === 0) return result;
    const movedPartitions = sql.param(moves.map((move) => move.partition));
    const fromOffsets = sql.param(moves.map((move) => move.from));
    const toOffsets = sql.param(moves.map((move) => move.to));
    await tx.execute(sql`
      delete from processed_events pe
      using events e, unnest(${movedPartitions}::int[], ${fromOffsets}::int8[], ${toOffsets}::int8[]) as m(partition, from_offset, to_offset)
      where pe."group" = ${input.group} and pe.event_id = e.id
        and e.partition = m.partition and e."offset" >= m.to_offset and e."offset" < m.from_offset
        -- a retry's event stays with the retry (not counted above): with its mark gone the
        -- retry would run the handler again
        and not exists (select 1 from retries r where r."group" = pe."group" and r.event_id = pe.event_id)`);
    await tx.execute(sql`
      update consumer_offsets o set committed_offset = m.to_offset, committed_at = now()
      from unnest(${movedPartitions}::int[], ${toOffsets}::int8[]) as m(partition, to_offset)
      where o."group" = ${input.group} and o.partition = m.partition`);
    await tx.execute(sql`
      update consumer_groups set offsets_reset_at = now(), offsets_reset_by = ${input.actor} where "group" = ${input.group}`);
    await notifyLogChanged(tx);
    return result;
  });
}
