import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { deadLetterStatusEnum, type AttemptError, type DeadLetterStatus } from '@/db/schema';
import { parseTimestamps } from '@/db/parse-timestamps';

/** Every status a dead letter can have, for a caller's input validation. */
export const DEAD_LETTER_STATUSES = deadLetterStatusEnum.enumValues;

export type { AttemptError, DeadLetterStatus };

export interface DeadLetterFilter {
  ids?: number[];
  group?: string;
  status?: DeadLetterStatus;
  eventType?: string;
  key?: string;
  errorClass?: string;
  deadAfter?: Date;
  deadBefore?: Date;
}

export type DeadLetterView = {
  id: number;
  group: string;
  eventId: string;
  topic: string;
  key: string;
  type: string;
  payload: unknown;
  attempts: number;
  lastError: string | null;
  errorClass: string | null;
  errors: AttemptError[];
  status: DeadLetterStatus;
  deadAt: Date;
  replayOf: number | null;
  replayedAt: Date | null;
  replayedBy: string | null;
  givenUpBy: string | null;
  discardedAt: Date | null;
  discardedBy: string | null;
  discardReason: string | null;
};

/** The WHERE clause for a filter over `dead_letters d join events e`; shared by the list and the bulk actions. */
export function deadLetterCondition(filter: DeadLetterFilter): SQL {
  const conditions = [sql`true`];
  if (filter.ids) conditions.push(sql`d.id = any(${sql.param(filter.ids)}::int8[])`);
  if (filter.group) conditions.push(sql`d."group" = ${filter.group}`);
  if (filter.status) conditions.push(sql`d.status = ${filter.status}`);
  if (filter.eventType) conditions.push(sql`e.type = ${filter.eventType}`);
  if (filter.key) conditions.push(sql`e.key = ${filter.key}`);
  if (filter.errorClass) conditions.push(sql`d.error_class = ${filter.errorClass}`);
  if (filter.deadAfter) conditions.push(sql`d.dead_at >= ${filter.deadAfter.toISOString()}::timestamptz`);
  if (filter.deadBefore) conditions.push(sql`d.dead_at < ${filter.deadBefore.toISOString()}::timestamptz`);
  return sql.join(conditions, sql` and `);
}

/** Newest first; pass the returned cursor to get the next page. */
export async function listDeadLetters(
  db: Executor,
  input: { filter?: DeadLetterFilter; cursor?: number | null; limit?: number } = {},
): Promise<{ rows: DeadLetterView[]; nextCursor: number | null }> {
  const limit = input.limit ?? 50;
  const rows = await db.execute<DeadLetterView>(sql`
    select d.id::int as id, d."group", d.event_id::text as "eventId", e.topic, e.key, e.type, e.payload,
           d.attempts, d.last_error as "lastError", d.error_class as "errorClass", d.errors, d.status, d.dead_at as "deadAt",
           d.replay_of::int as "replayOf", d.replayed_at as "replayedAt", d.replayed_by as "replayedBy", d.given_up_by as "givenUpBy",
           d.discarded_at as "discardedAt", d.discarded_by as "discardedBy", d.discard_reason as "discardReason"
    from dead_letters d join events e on e.id = d.event_id
    where ${deadLetterCondition(input.filter ?? {})} and (${input.cursor ?? null}::int8 is null or d.id < ${input.cursor ?? null})
    order by d.id desc
    limit ${limit + 1}`);
  const page = parseTimestamps(rows.slice(0, limit), ['deadAt', 'replayedAt', 'discardedAt']);
  return { rows: page, nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
}

/** What a bulk action over this filter would touch: the count and the first rows, for the operator to confirm. */
export async function previewDeadLetters(db: Executor, filter: DeadLetterFilter): Promise<{ count: number; sample: DeadLetterView[] }> {
  const [row] = await db.execute<{ count: number }>(sql`
    select count(*)::int as count from dead_letters d join events e on e.id = d.event_id where ${deadLetterCondition(filter)}`);
  const { rows } = await listDeadLetters(db, { filter, limit: 10 });
  return { count: row!.count, sample: rows };
}

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
