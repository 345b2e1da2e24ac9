import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { notifyLogChanged } from './notify-workers';

/** Lets a paused group consume again, from where it stopped. */
export async function resumeGroup(db: Executor, input: { group: string; actor: string }): Promise<{ group: string; changed: boolean }> {
  return db.transaction(async (tx) => {
    const rows = await tx.execute(sql`
      update consumer_groups set paused = false, paused_at = now(), paused_by = ${input.actor}
      where "group" = ${input.group} and paused
      returning "group"`);
    if (rows.length > 0) await notifyLogChanged(tx);
    return { group: input.group, changed: rows.length > 0 };
  });
}
