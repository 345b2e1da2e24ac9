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

/** Every registered consumer group with its operator state and its retrying and dead counts, by group name. */
export async function listConsumerGroups(db: Executor): Promise<ConsumerGroupState[]> {
  const rows = await db.execute<ConsumerGroupState>(sql`
    select g."group", g.paused, g.paused_at as "pausedAt", g.paused_by as "pausedBy",
           g.offsets_reset_at as "offsetsResetAt", g.offsets_reset_by as "offsetsResetBy",
           coalesce(r.count, 0)::int as retrying, coalesce(d.count, 0)::int as dead
    from consumer_groups g
    left join (select "group", count(*) as count from retries group by "group") r on r."group" = g."group"
    left join (select "group", count(*) as count from dead_letters where status = 'dead' group by "group") d on d."group" = g."group"
    order by g."group"`);
  return parseTimestamps(rows, ['pausedAt', 'offsetsResetAt']);
}
