import { sql } from 'drizzle-orm';
import type { Transaction } from '@/db/client';
import type { AttemptError } from '@/db/schema';
import { retryDelayMs } from './backoff';
import type { BackoffPolicy } from './types';

/**
 * First failures of events read from the log: each becomes a retry row due after the
 * backoff, and the partition moves on without them. Guarded by the batch's offset commit
 * in the same transaction, which fails if the worker lost the partition.
 */
export async function scheduleRetries(
  tx: Transaction,
  input: { group: string; backoff: BackoffPolicy; failures: { eventId: string; error: AttemptError }[] },
): Promise<void> {
  if (input.failures.length === 0) return;
  const { failures } = input;
  await tx.execute(sql`
    insert into retries ("group", event_id, attempt, next_attempt_at, last_error, error_class, errors)
    select ${input.group}, f.event_id, 1, now() + f.delay_ms * interval '1 millisecond', f.error ->> 'message', f.error ->> 'errorClass',
           jsonb_build_array(f.error)
    from unnest(
      ${sql.param(failures.map((failure) => failure.eventId))}::int8[],
      ${sql.param(failures.map(() => retryDelayMs(input.backoff, 1)))}::int8[],
      ${sql.param(failures.map((failure) => JSON.stringify(failure.error)))}::jsonb[]
    ) as f(event_id, delay_ms, error)`);
}
