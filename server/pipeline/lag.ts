import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { parseTimestamps } from '@/db/parse-timestamps';
import { getLogState } from './log-state';
import { partitionConsumerName } from './nats-log';
import type { PipelineLog } from './pipeline-log';

export type PartitionLag = {
  partition: number;
  endOffset: number;
  committedOffset: number;
  lag: number;
  /** How long the oldest unconsumed event has been due; null when caught up. */
  oldestUnconsumedAgeMs: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  /**
   * With the log on NATS, from the partition's consumer: how long the oldest message it has not
   * acked has been in the stream (null when all are acked). Absent on the PostgreSQL log, when
   * the broker does not answer, and while the partition has no consumer.
   */
  oldestUnackedAgeMs?: number | null;
};

export interface GroupLag {
  group: string;
  paused: boolean;
  lag: number;
  oldestUnconsumedAgeMs: number | null;
  /** The oldest of its partitions' `oldestUnackedAgeMs`, on the NATS log. */
  oldestUnackedAgeMs?: number | null;
  partitions: PartitionLag[];
}

/**
 * Lag of every consumer group (or one) per partition: log end offset minus committed offset.
 * Given the NATS log, each partition also gets its consumer's oldest unacked age from the broker.
 */
export async function getLag(db: Executor, filter: { group?: string; log?: PipelineLog } = {}): Promise<GroupLag[]> {
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
  const result = [...groups.values()];
  if (filter.log?.kind === 'nats') await addUnackedAges(result, filter.log);
  return result;
}

async function addUnackedAges(groups: GroupLag[], log: PipelineLog): Promise<void> {
  // A broker that does not answer leaves the ages out: the lag from PostgreSQL still holds, and the log panel says why.
  const state = await getLogState(log).catch(() => null);
  if (state?.kind !== 'nats') return;
  const ages = new Map(state.consumers.map((consumer) => [consumer.consumer, consumer.oldestUnackedAgeMs]));
  for (const group of groups) {
    group.oldestUnackedAgeMs = null;
    for (const partition of group.partitions) {
      const name = partitionConsumerName(group.group, partition.partition);
      // No consumer yet (no runner has read the partition since it was leased): the broker has nothing to say.
      if (!ages.has(name)) continue;
      partition.oldestUnackedAgeMs = ages.get(name)!;
      if (partition.oldestUnackedAgeMs !== null) group.oldestUnackedAgeMs = Math.max(group.oldestUnackedAgeMs ?? 0, partition.oldestUnackedAgeMs);
    }
  }
}
