import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { AttemptError } from '@/db/schema';
import { parseTimestamps } from '@/db/parse-timestamps';

export interface RetryFilter {
  ids?: number[];
  group?: string;
  eventType?: string;
  key?: string;
  errorClass?: string;
}

export type RetryView = {
  id: number;
  group: string;
  eventId: string;
  topic: string;
  key: string;
  type: string;
  payload: unknown;
  attempt: number;
  nextAttemptAt: Date;
  lastError: string | null;
  errorClass: string | null;
  errors: AttemptError[];
  replayOf: number | null;
  lockedBy: string | null;
  createdAt: Date;
};

/** The WHERE clause for a filter over `retries r join events e`; shared by the list and the bulk actions. */
export function retryCondition(filter: RetryFilter): SQL {
  const conditions = [sql`true`];
  if (filter.ids) conditions.push(sql`r.id = any(${sql.param(filter.ids)}::int8[])`);
  if (filter.group) conditions.push(sql`r."group" = ${filter.group}`);
  if (filter.eventType) conditions.push(sql`e.type = ${filter.eventType}`);
  if (filter.key) conditions.push(sql`e.key = ${filter.key}`);
  if (filter.errorClass) conditions.push(sql`r.error_class = ${filter.errorClass}`);
  return sql.join(conditions, sql` and `);
}

/** The failed-pushes list: deliveries waiting for another attempt, newest first, with cursor pagination. */
export async function listRetries(
  db: Executor,
  input: { filter?: RetryFilter; cursor?: number | null; limit?: number } = {},
): Promise<{ rows: RetryView[]; nextCursor: number | null }> {
  const filter = input.filter ?? {};
  const limit = input.limit ?? 50;
  const rows = await db.execute<RetryView>(sql`
    select r.id::int as id, r."group", r.event_id::text as "eventId", e.topic, e.key, e.type, e.payload, r.attempt,
           r.next_attempt_at as "nextAttemptAt", r.last_error as "lastError", r.error_class as "errorClass", r.errors,
           r.replay_of::int as "replayOf", case when r.locked_until > now() then r.locked_by end as "lockedBy", r.created_at as "createdAt"
    from retries r join events e on e.id = r.event_id
    where ${retryCondition(filter)} and (${input.cursor ?? null}::int8 is null or r.id < ${input.cursor ?? null})
    order by r.id desc
    limit ${limit + 1}`);
  const page = parseTimestamps(rows.slice(0, limit), ['nextAttemptAt', 'createdAt']);
  return { rows: page, nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
}

/** What a bulk action over this filter would touch: the count and the first rows, for the operator to confirm. */
export async function previewRetries(db: Executor, filter: RetryFilter): Promise<{ count: number; sample: RetryView[] }> {
  const [row] = await db.execute<{ count: number }>(sql`
    select count(*)::int as count from retries r join events e on e.id = r.event_id where ${retryCondition(filter)}`);
  const { rows } = await listRetries(db, { filter, limit: 10 });
  return { count: row!.count, sample: rows };
}

/** The retries a bulk action over this filter would act on now (not held by a worker), oldest first, at most `cap`; and how many match in all. */
export async function matchingRetryIds(db: Executor, filter: RetryFilter, cap: number): Promise<{ count: number; ids: number[] }> {
  const [row] = await db.execute<{ count: number }>(sql`
    select count(*)::int as count from retries r join events e on e.id = r.event_id where ${retryCondition(filter)}`);
  const ids = await db.execute<{ id: number }>(sql`
    select r.id::int as id from retries r join events e on e.id = r.event_id
    where ${retryCondition(filter)} and (r.locked_until is null or r.locked_until <= now())
    order by r.id limit ${cap}`);
  return { count: row!.count, ids: ids.map((r) => r.id) };
}

/**
 * Per group, the retries at attempt `minAttempt` or later: how many, the highest attempt and the last error of that one.
 * The counts come from retries_attempt_idx alone and each group's error from one row: aggregating the errors of
 * every such retry read tens of thousands of wide rows for five strings.
 */
export async function summarizeRetries(db: Executor, input: { minAttempt: number }) {
  return db.execute<{ group: string; count: number; maxAttempt: number; lastError: string | null }>(sql`
    select s."group", s.count, s."maxAttempt", latest.last_error as "lastError"
    from (
      select "group", count(*)::int as count, max(attempt)::int as "maxAttempt"
      from retries where attempt >= ${input.minAttempt} group by "group"
    ) s
    cross join lateral (
      select r.last_error from retries r where r."group" = s."group" and r.attempt >= ${input.minAttempt} order by r.attempt desc limit 1
    ) latest`);
}
