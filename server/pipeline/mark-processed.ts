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

/** Of these events, the ones the group must not run now: already processed, or owned by a pending retry. */
export async function alreadySettled(db: Executor, input: { group: string; eventIds: string[] }): Promise<Set<string>> {
  if (input.eventIds.length === 0) return new Set();
  const ids = sql.param(input.eventIds);
  const rows = await db.execute<{ id: string }>(sql`
    select event_id::text as id from processed_events where "group" = ${input.group} and event_id = any(${ids}::int8[])
    union all
    select event_id::text from retries where "group" = ${input.group} and event_id = any(${ids}::int8[])`);
  return new Set(rows.map((row) => row.id));
}

export async function isProcessed(db: Executor, input: { group: string; eventId: string }): Promise<boolean> {
  const rows = await db.execute(sql`
    select 1 from processed_events where "group" = ${input.group} and event_id = ${input.eventId}::int8`);
  return rows.length > 0;
}
