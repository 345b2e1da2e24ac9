import { and, eq } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { refunds } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { retryRefund } from './retry-refund';

/** The order page's "retry refund": retries the order's FAILED refund (see retryRefund). */
export async function retryOrderRefund(db: Executor, input: { orderId: string; reason: string }) {
  const [failed] = await db
    .select({ id: refunds.id })
    .from(refunds)
    .where(and(eq(refunds.orderId, input.orderId), eq(refunds.status, 'FAILED')));
  if (!failed) throw new DomainError('CONFLICT', `Order ${input.orderId} has no failed refund to retry.`);
  return retryRefund(db, { refundId: failed.id, reason: input.reason });
}
