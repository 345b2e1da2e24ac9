import { sql } from 'drizzle-orm';
import type { Transaction } from '@/db/client';
import { LeaseLostError } from './lease-lost-error';

/** Removes a retry this worker has locked (it succeeded, or is about to become a dead letter). */
export async function completeRetry(tx: Transaction, input: { retryId: number; workerId: string }): Promise<void> {
  const rows = await tx.execute(sql`
    delete from retries where id = ${input.retryId} and locked_by = ${input.workerId} and locked_until > now()
    returning id`);
  if (rows.length === 0) throw new LeaseLostError(`retry ${input.retryId} is no longer locked by ${input.workerId}`);
}
