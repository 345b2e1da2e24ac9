import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { parseTimestamps } from '@/db/parse-timestamps';

export type ConsumerGroupState = {
  group: string;
  paused: boolean;
  pausedAt: Date | null;
  pausedBy: string | null;
  offsetsResetAt: Date | null;
  offsetsResetBy: string | null;
  /** Deliveries waiting for another attempt. */
  retrying: number;
  /** Dead letters not replayed or discarded. */
  dead: number;
};

/**
 * Every registered consumer group with its operator state and its retrying and dead counts, by group name.
 * The two counts read tens of thousands of index entries each on a busy day, so they are separate
 * statements that run side by side (on a pool; a transaction runs them in turn).
 */
export async function listConsumerGroups(db: Executor): Promise<ConsumerGroupState[]> {
  const [groups, retrying, dead] = await Promise.all([
    db.execute<Omit<ConsumerGroupState, 'retrying' | 'dead'>>(sql`
      select "group", paused, paused_at as "pausedAt", paused_by as "pausedBy",
             offsets_reset_at as "offsetsResetAt", offsets_reset_by as "offsetsResetBy"
      from consumer_groups order by "group"`),
    db.execute<{ group: string; count: number }>(sql`select "group", count(*)::int as count from retries group by "group"`),
    db.execute<{ group: string; count: number }>(sql`select "group", count(*)::int as count from dead_letters where status = 'dead' group by "group"`),
  ]);
  const countOf = (rows: { group: string; count: number }[], group: string) => rows.find((row) => row.group === group)?.count ?? 0;
  return parseTimestamps(groups, ['pausedAt', 'offsetsResetAt']).map((group) => ({
    ...group,
    retrying: countOf(retrying, group.group),
    dead: countOf(dead, group.group),
  }));
}
