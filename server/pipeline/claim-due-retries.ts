import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { AttemptError } from '@/db/schema';
import type { PipelineEvent } from './types';

export interface ClaimedRetry {
  retryId: number;
  /** Attempts made so far; the one about to run is `attempt + 1`. */
  attempt: number;
  errors: AttemptError[];
  replayOf: number | null;
  event: PipelineEvent;
}

/**
 * Locks due retries of a group to this worker for `lockMs` (graphile-worker style
 * `locked_by`/`locked_until`), so concurrent workers take different ones and a crashed
 * worker's retries become claimable again after the lock lapses.
 */
export async function claimDueRetries(
  db: Executor,
  input: { group: string; workerId: string; limit: number; lockMs: number },
): Promise<ClaimedRetry[]> {
  const rows = await db.execute<{
    retryId: number;
    attempt: number;
    errors: ClaimedRetry['errors'];
    replayOf: number | null;
    id: string;
    topic: string;
    key: string;
    type: string;
    payload: unknown;
    headers: Record<string, string>;
    createdAt: Date;
    partition: number;
    offset: string;
  }>(sql`
    with due as (
      select r.id from retries r
      join consumer_groups g on g."group" = r."group" and not g.paused
      where r."group" = ${input.group} and r.next_attempt_at <= now()
        and (r.locked_until is null or r.locked_until <= now())
      order by r.next_attempt_at
      limit ${input.limit}
      for update of r skip locked
    ), claimed as (
      update retries r set locked_by = ${input.workerId}, locked_until = now() + ${input.lockMs} * interval '1 millisecond'
      from due where r.id = due.id
      returning r.*
    )
    select c.id::int as "retryId", c.attempt, c.errors, c.replay_of::int as "replayOf",
           e.id::text as id, e.topic, e.key, e.type, e.payload, e.headers, e.created_at as "createdAt", e.partition, e."offset"
    from claimed c join events e on e.id = c.event_id`);
  return rows.map((row) => ({
    retryId: row.retryId,
    attempt: row.attempt,
    errors: row.errors,
    replayOf: row.replayOf,
    event: {
      id: row.id,
      topic: row.topic,
      key: row.key,
      type: row.type,
      payload: row.payload,
      headers: row.headers,
      createdAt: new Date(row.createdAt),
      partition: row.partition,
      offset: Number(row.offset),
    },
  }));
}
