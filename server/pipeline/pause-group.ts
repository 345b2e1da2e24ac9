import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/** Stops a group's deliveries and retries (workers keep their leases); events keep accumulating as lag. */
export async function pauseGroup(db: Executor, input: { group: string; actor: string }): Promise<{ group: string; changed: boolean }> {
  const rows = await db.execute(sql`
    update consumer_groups set paused = true, paused_at = now(), paused_by = ${input.actor}
    where "group" = ${input.group} and not paused
    returning "group"`);
  return { group: input.group, changed: rows.length > 0 };
}
