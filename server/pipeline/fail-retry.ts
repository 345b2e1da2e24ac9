import { sql } from 'drizzle-orm';
import type { Transaction } from '@/db/client';
import type { AttemptError } from '@/db/schema';
import { retryDelayMs } from './backoff';
import { LeaseLostError } from './lease-lost-error';
import type { BackoffPolicy } from './types';

/** Counts a failed attempt of a retry this worker has locked, keeps its error, and schedules the next one. */
export async function failRetry(
  tx: Transaction,
  input: { retryId: number; workerId: string; attempt: number; error: AttemptError; backoff: BackoffPolicy },
): Promise<void> {
  const delayMs = retryDelayMs(input.backoff, input.attempt);
  const rows = await tx.execute(sql`
    update retries
    set attempt = ${input.attempt},
        next_attempt_at = now() + ${delayMs} * interval '1 millisecond',
        last_error = ${input.error.message},
        error_class = ${input.error.errorClass},
        errors = errors || jsonb_build_array(${JSON.stringify(input.error)}::jsonb),
        locked_by = null, locked_until = null, updated_at = now()
    where id = ${input.retryId} and locked_by = ${input.workerId} and locked_until > now()
    returning id`);
  if (rows.length === 0) throw new LeaseLostError(`retry ${input.retryId} is no longer locked by ${input.workerId}`);
}
