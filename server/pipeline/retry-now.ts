import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { notifyRetriesDue } from './notify-workers';
import { retryCondition, type RetryFilter } from './retries';

/**
 * Makes retries due now (one by id, or all of a group via the filter). Same delivery,
 * same attempt count: the next run counts as the next attempt. Retries a worker is
 * running at this moment are left alone.
 */
export async function retryNow(db: Executor, input: { filter: RetryFilter }): Promise<{ retryIds: number[] }> {
  return db.transaction(async (tx) => {
    const rows = await tx.execute<{ id: number }>(sql`
      update retries r set next_attempt_at = now(), updated_at = now()
      from events e
      where e.id = r.event_id and ${retryCondition(input.filter)}
        and (r.locked_until is null or r.locked_until <= now())
      returning r.id::int as id`);
    if (rows.length > 0) await notifyRetriesDue(tx);
    return { retryIds: rows.map((row) => row.id) };
  });
}
