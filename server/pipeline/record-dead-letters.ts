import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { AttemptError } from '@/db/schema';
import type { PipelineHooks } from './hooks';

export interface DeadLetterInput {
  group: string;
  eventId: string;
  /** Every attempt's error, oldest first. */
  errors: AttemptError[];
  /** The dead letter this delivery was a replay of. */
  replayOf: number | null;
  /** Set when an operator gave up before the attempts ran out. */
  givenUp?: { by: string; reason: string };
}

/**
 * Records deliveries that exhausted their attempts and hands them to the `onDeadLetter`
 * hook (the process's alerting) in the same transaction. Guarded by the caller's transaction: a worker
 * also removes its locked retry (`completeRetry`) or commits its offsets there, and either
 * fails, rolling this back, when the worker no longer holds what it changes.
 */
export async function deadLetter(tx: Executor, inputs: DeadLetterInput[], hooks: Pick<PipelineHooks, 'onDeadLetter'> = {}): Promise<number[]> {
  if (inputs.length === 0) return [];
  const rows = await tx.execute<{ id: number; group: string; eventId: string; lastError: string | null }>(sql`
    insert into dead_letters ("group", event_id, attempts, last_error, error_class, errors, replay_of, given_up_by, give_up_reason)
    select d.grp, d.event_id, jsonb_array_length(d.errors), d.errors -> -1 ->> 'message', d.errors -> -1 ->> 'errorClass', d.errors, d.replay_of,
           d.given_up_by, d.give_up_reason
    from unnest(
      ${sql.param(inputs.map((input) => input.group))}::text[],
      ${sql.param(inputs.map((input) => input.eventId))}::int8[],
      ${sql.param(inputs.map((input) => JSON.stringify(input.errors)))}::jsonb[],
      ${sql.param(inputs.map((input) => input.replayOf))}::int8[],
      ${sql.param(inputs.map((input) => input.givenUp?.by ?? null))}::text[],
      ${sql.param(inputs.map((input) => input.givenUp?.reason ?? null))}::text[]
    ) as d(grp, event_id, errors, replay_of, given_up_by, give_up_reason)
    returning id::int as id, "group", event_id::text as "eventId", last_error as "lastError"`);
  if (rows.length > 0 && hooks.onDeadLetter) {
    await hooks.onDeadLetter(
      tx,
      rows.map((row) => ({ deadLetterId: row.id, group: row.group, eventId: row.eventId, lastError: row.lastError })),
    );
  }
  return rows.map((row) => row.id);
}
