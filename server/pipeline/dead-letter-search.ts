import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { deadLetterCondition, type DeadLetterFilter, type DeadLetterView } from './dead-letters';
import { parseTimestamps } from '@/db/parse-timestamps';

/** The dead-letter filter plus text searched in the last error: the console's search. */
export type DeadLetterSearch = DeadLetterFilter & { errorText?: string };

function condition(filter: DeadLetterSearch): SQL {
  const { errorText, ...engineFilter } = filter;
  const base = deadLetterCondition(engineFilter);
  return errorText ? sql`${base} and d.last_error ilike ${`%${errorText.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}` : base;
}

const columns = sql`d.id::int as id, d."group", d.event_id::text as "eventId", e.topic, e.key, e.type, e.payload, e.headers,
  d.attempts, d.last_error as "lastError", d.error_class as "errorClass", d.errors, d.status, d.dead_at as "deadAt",
  d.replay_of::int as "replayOf", d.replayed_at as "replayedAt", d.replayed_by as "replayedBy", d.given_up_by as "givenUpBy",
  d.give_up_reason as "giveUpReason", d.discarded_at as "discardedAt", d.discarded_by as "discardedBy", d.discard_reason as "discardReason"`;

export type DeadLetterDetail = DeadLetterView & { headers: Record<string, string>; giveUpReason: string | null };

/**
 * Newest first with an id cursor. Group and status filters are served by
 * dead_letters_group_status_idx / dead_letters_status_idx; the error text is matched on the
 * rows those leave, which is fine at dead-letter volumes (they are exceptions, not traffic).
 */
export async function searchDeadLetters(db: Executor, input: { filter: DeadLetterSearch; cursor?: number; limit?: number }) {
  const limit = input.limit ?? 50;
  const rows = await db.execute<DeadLetterDetail>(sql`
    select ${columns} from dead_letters d join events e on e.id = d.event_id
    where ${condition(input.filter)} and (${input.cursor ?? null}::int8 is null or d.id < ${input.cursor ?? null})
    order by d.id desc limit ${limit + 1}`);
  const page = parseTimestamps(rows.slice(0, limit), ['deadAt', 'replayedAt', 'discardedAt']);
  return { rows: page, nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
}

/** Ids of the dead letters still `dead` that match, for a bulk action, capped; with the full count. */
export async function matchingDeadLetterIds(db: Executor, filter: DeadLetterSearch, cap: number): Promise<{ count: number; ids: number[] }> {
  const where = condition({ ...filter, status: 'dead' });
  const [row] = await db.execute<{ count: number }>(sql`select count(*)::int as count from dead_letters d join events e on e.id = d.event_id where ${where}`);
  const ids = await db.execute<{ id: number }>(sql`
    select d.id::int as id from dead_letters d join events e on e.id = d.event_id where ${where} order by d.id limit ${cap}`);
  return { count: row!.count, ids: ids.map((r) => r.id) };
}

export async function getDeadLetter(db: Executor, id: number): Promise<DeadLetterDetail | null> {
  const { rows } = await searchDeadLetters(db, { filter: { ids: [id] }, limit: 1 });
  return rows[0] ?? null;
}
