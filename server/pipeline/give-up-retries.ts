import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { AttemptError } from '@/db/schema';
import { deadLetter } from './record-dead-letters';
import type { PipelineHooks } from './hooks';
import { previewRetries, retryCondition, type RetryFilter, type RetryView } from './retries';

export type GiveUpRetriesResult =
  | { dryRun: true; count: number; sample: RetryView[] }
  | { dryRun: false; deadLetterIds: number[] };

/**
 * Stops retrying: the selected retries become dead letters now, keeping their errors and
 * recording who gave up and why. Retries a worker is running at this moment are left alone.
 */
export async function giveUpRetries(
  db: Executor,
  input: { filter: RetryFilter; actor: string; reason: string; dryRun?: boolean; hooks?: Pick<PipelineHooks, 'onDeadLetter'> },
): Promise<GiveUpRetriesResult> {
  if (input.dryRun) return { dryRun: true, ...(await previewRetries(db, input.filter)) };
  return db.transaction(async (tx) => {
    const removed = await tx.execute<{ group: string; eventId: string; errors: AttemptError[]; replayOf: number | null }>(sql`
      delete from retries r using events e
      where e.id = r.event_id and ${retryCondition(input.filter)}
        and (r.locked_until is null or r.locked_until <= now())
      returning r."group", r.event_id::text as "eventId", r.errors, r.replay_of::int as "replayOf"`);
    const deadLetterIds = await deadLetter(
      tx,
      removed.map((retry) => ({ ...retry, givenUp: { by: input.actor, reason: input.reason } })),
      input.hooks,
    );
    return { dryRun: false, deadLetterIds };
  });
}
