import { sql } from 'drizzle-orm';
import type { Executor, Transaction } from '@/db/client';

/**
 * Records that the group handled these events, in the transaction holding the handler's
 * effects. The primary key makes a second, concurrent delivery fail instead of repeating.
 */
export async function markProcessed(tx: Transaction, input: { group: string; eventIds: string[] }): Promise<void> {
  if (input.eventIds.length === 0) return;
  await tx.execute(sql`
    insert into processed_events ("group", event_id)
    select ${input.group}, unnest(${sql.param(input.eventIds)}::int8[])`);
}

export async function isProcessed(db: Executor, input: { group: string; eventId: string }): Promise<boolean> {
  const rows = await db.execute(sql`
    select 1 from processed_events where "group" = ${input.group} and event_id = ${input.eventId}::int8`);
  return rows.length > 0;
}
