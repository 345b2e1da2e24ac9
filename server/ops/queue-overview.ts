import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { getLag, getThroughput } from '@/server/pipeline';

/** The queues screen's table: lag, oldest age, throughput, retrying and dead counts, paused, per group with its partitions. */
export async function getQueueOverview(db: Executor) {
  const [lag, throughput, retrying, dead, groups] = await Promise.all([
    getLag(db),
    getThroughput(db, { windowMs: 60_000 }),
    db.execute<{ group: string; count: number }>(sql`select "group", count(*)::int as count from retries group by "group"`),
    db.execute<{ group: string; count: number }>(sql`select "group", count(*)::int as count from dead_letters where status = 'dead' group by "group"`),
    db.execute<{ group: string; pausedAt: string | null; pausedBy: string | null; offsetsResetAt: string | null; offsetsResetBy: string | null }>(sql`
      select "group", paused_at as "pausedAt", paused_by as "pausedBy", offsets_reset_at as "offsetsResetAt", offsets_reset_by as "offsetsResetBy"
      from consumer_groups`),
  ]);
  return lag.map((group) => {
    const info = groups.find((row) => row.group === group.group);
    return {
      ...group,
      handledPerSecond: throughput.find((row) => row.group === group.group)?.handledPerSecond ?? 0,
      retrying: retrying.find((row) => row.group === group.group)?.count ?? 0,
      dead: dead.find((row) => row.group === group.group)?.count ?? 0,
      pausedBy: group.paused ? (info?.pausedBy ?? null) : null,
      pausedAt: group.paused && info?.pausedAt ? new Date(info.pausedAt) : null,
    };
  });
}
