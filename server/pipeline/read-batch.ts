import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { PipelineEvent } from './types';

export interface BatchEvent extends PipelineEvent {
  /** The partition's committed offset when the batch was read; the commit is guarded by it. */
  committedOffset: number;
  /**
   * Already processed by the group, or owned by a pending retry: not to be run again.
   * Read outside the batch's transaction; the processed mark's primary key catches a race.
   */
  settled: boolean;
}

/**
 * The next events after the committed offset of every partition this worker leases in an
 * unpaused group. Takes the same number of positions from each partition in turn, so the
 * batch is a prefix of each partition (no offset is skipped) and no partition starves.
 */
export async function readBatch(db: Executor, input: { group: string; workerId: string; limit: number }): Promise<BatchEvent[]> {
  const rows = await db.execute<{
    id: string;
    topic: string;
    key: string;
    type: string;
    payload: unknown;
    headers: Record<string, string>;
    createdAt: string;
    partition: number;
    offset: string;
    committedOffset: string;
    settled: boolean;
  }>(sql`
    with chosen as (
      -- Positions first, on narrow rows: each partition offers up to a full batch, but
      -- only the chosen ones are fetched whole and checked for processed marks.
      select o."group", o.partition, o.committed_offset, candidate."offset"
      from consumer_offsets o
      join consumer_groups g on g."group" = o."group" and not g.paused
      cross join lateral (
        select events."offset" from events
        where events.partition = o.partition and events."offset" >= o.committed_offset
        order by events."offset"
        limit ${input.limit}
      ) candidate
      where o."group" = ${input.group} and o.lease_owner = ${input.workerId} and o.lease_expires_at > now()
      order by candidate."offset" - o.committed_offset, o.partition
      limit ${input.limit}
    )
    select e.id::text as id, e.topic, e.key, e.type, e.payload, e.headers, e.created_at as "createdAt",
           e.partition, e."offset", c.committed_offset as "committedOffset",
           exists (select 1 from processed_events p where p."group" = c."group" and p.event_id = e.id)
             or exists (select 1 from retries r where r."group" = c."group" and r.event_id = e.id) as settled
    from chosen c join events e on e.partition = c.partition and e."offset" = c."offset"
    order by c."offset" - c.committed_offset, c.partition`);
  return rows.map((row) => ({
    id: row.id,
    topic: row.topic,
    key: row.key,
    type: row.type,
    payload: row.payload,
    headers: row.headers,
    createdAt: new Date(row.createdAt),
    partition: row.partition,
    offset: Number(row.offset),
    committedOffset: Number(row.committedOffset),
    settled: row.settled,
  }));
}
