import type { Executor } from '@/db/client';
import { getLag, getThroughput, listConsumerGroups, type PipelineLog } from '@/server/pipeline';

/**
 * The queues screen's table: lag, oldest age, throughput, retrying and dead counts, paused, per
 * group with its partitions; on the NATS log, the oldest unacked message's age from the broker.
 */
export async function getQueueOverview(db: Executor, log: PipelineLog) {
  const [lag, throughput, groups] = await Promise.all([getLag(db, { log }), getThroughput(db, { windowMs: 60_000 }), listConsumerGroups(db)]);
  return lag.map((group) => {
    const info = groups.find((row) => row.group === group.group);
    return {
      ...group,
      handledPerSecond: throughput.find((row) => row.group === group.group)?.handledPerSecond ?? 0,
      retrying: info?.retrying ?? 0,
      dead: info?.dead ?? 0,
      pausedBy: group.paused ? (info?.pausedBy ?? null) : null,
      pausedAt: group.paused ? (info?.pausedAt ?? null) : null,
    };
  });
}
