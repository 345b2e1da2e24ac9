import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { parseTimestamps } from '@/db/parse-timestamps';

export type PartitionLag = {
  partition: number;
  endOffset: number;
  committedOffset: number;
  lag: number;
  /** How long the oldest unconsumed event has been due; null when caught up. */
  oldestUnconsumedAgeMs: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
};

export interface GroupLag {
  group: string;
  paused: boolean;
  lag: number;
  oldestUnconsumedAgeMs: number | null;
  partitions: PartitionLag[];
}

/** Lag of every consumer group (or one) per partition: log end offset minus committed offset. */
export async function getLag(db: Executor, filter: { group?: string } = {}): Promise<GroupLag[]> {
  const rows = await db.execute<PartitionLag & { group: string; paused: boolean }>(sql`
    select o."group", g.paused, o.partition,
           p.next_offset::float8 as "endOffset", o.committed_offset::float8 as "committedOffset",
           greatest(p.next_offset - o.committed_offset, 0)::float8 as lag,
           case when p.next_offset > o.committed_offset then (
             select (extract(epoch from now() - e.deliver_at) * 1000)::float8
             from events e where e.partition = o.partition and e."offset" = o.committed_offset
           ) end as "oldestUnconsumedAgeMs",
           o.lease_owner as "leaseOwner", o.lease_expires_at as "leaseExpiresAt"
    from consumer_offsets o
    join consumer_groups g on g."group" = o."group"
    join log_partitions p on p.partition = o.partition
    where ${filter.group ?? null}::text is null or o."group" = ${filter.group ?? null}
    order by o."group", o.partition`);
  const groups = new Map<string, GroupLag>();
  for (const { group, paused, ...partition } of parseTimestamps(rows, ['leaseExpiresAt'])) {
    const entry = groups.get(group) ?? { group, paused, lag: 0, oldestUnconsumedAgeMs: null, partitions: [] };
    entry.lag += partition.lag;
    if (partition.oldestUnconsumedAgeMs !== null) {
      entry.oldestUnconsumedAgeMs = Math.max(entry.oldestUnconsumedAgeMs ?? 0, partition.oldestUnconsumedAgeMs);
    }
    entry.partitions.push(partition);
    groups.set(group, entry);
  }
  return [...groups.values()];
}
