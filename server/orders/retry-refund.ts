import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { refunds } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { appendEvent } from '@/server/pipeline';
import { orderEvent } from './events';
import { transitionOrder } from './order';
import { lockRefund } from './settle-refund';

/**
 * Console action on a REFUND_FAILED refund: back to PENDING (order REFUNDING) and a new
 * RefundRequested with the same refund id, so the provider, which is idempotent by refund
 * id, cannot pay it out twice even if an earlier attempt did go through.
 */
export async function retryRefund(db: Executor, input: { refundId: string; reason: string }) {
  return db.transaction(async (tx) => {
    const refund = await lockRefund(tx, input.refundId);
    if (refund.status !== 'FAILED') throw new DomainError('CONFLICT', `Refund ${refund.id} is ${refund.status}; only a FAILED refund can be retried.`);
    await tx.update(refunds).set({ status: 'PENDING', lastError: null, updatedAt: sql`now()` }).where(eq(refunds.id, refund.id));
    if (refund.kind === 'order') await transitionOrder(tx, refund.orderId, 'retryRefund');
    await appendEvent(
      tx,
      orderEvent('RefundRequested', {
        orderId: refund.orderId,
        refundId: refund.id,
        paymentId: refund.paymentId,
        amountCents: refund.amountCents,
        kind: refund.kind,
        reason: `retry: ${input.reason}`,
      }),
    );
    return { refundId: refund.id, orderId: refund.orderId, status: 'PENDING' as const };
  });
}

/** The order page's "retry refund": retries the order's FAILED refund (see retryRefund). */
export async function retryOrderRefund(db: Executor, input: { orderId: string; reason: string }) {
  const [failed] = await db
    .select({ id: refunds.id })
    .from(refunds)
    .where(and(eq(refunds.orderId, input.orderId), eq(refunds.status, 'FAILED')));
  if (!failed) throw new DomainError('CONFLICT', `Order ${input.orderId} has no failed refund to retry.`);
  return retryRefund(db, { refundId: failed.id, reason: input.reason });
}
