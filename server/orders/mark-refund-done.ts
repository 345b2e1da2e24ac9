import { and, eq, inArray } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { refunds } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { completeRefund, lockRefund } from './settle-refund';

/**
 * Support refunded the customer by hand at the provider (its back office): the refund is
 * settled as SUCCEEDED with the provider's refund reference, the order becomes REFUNDED and
 * RefundSucceeded reverses points, coupon and sales as after any refund. The reference is
 * required so the books can be matched against the provider's statement. It is kept in the
 * audit log and, until refunds get a column of their own for it, in the refund's last_error.
 */
export async function markRefundDone(db: Executor, input: { orderId: string; providerReference: string }) {
  const reference = input.providerReference.trim();
  if (reference.length < 4) throw new DomainError('BAD_REQUEST', "Enter the provider's refund reference (from the provider's back office).");
  return db.transaction(async (tx) => {
    const [open] = await tx
      .select()
      .from(refunds)
      .where(and(eq(refunds.orderId, input.orderId), eq(refunds.kind, 'order'), inArray(refunds.status, ['FAILED', 'PENDING', 'SUCCEEDED'])));
    if (!open) throw new DomainError('NOT_FOUND', `Order ${input.orderId} has no refund to mark as done.`);
    const refund = await lockRefund(tx, open.id);
    if (refund.status === 'SUCCEEDED') return { orderId: input.orderId, refundId: refund.id, changed: false };
    if (refund.status !== 'FAILED') {
      throw new DomainError('CONFLICT', `Refund ${refund.id} is still ${refund.status} with the provider; wait for it to succeed or fail before settling it by hand.`);
    }
    await completeRefund(tx, refund.id, refund.attempts);
    await tx.update(refunds).set({ lastError: `settled manually, provider reference ${reference}` }).where(eq(refunds.id, refund.id));
    return { orderId: input.orderId, refundId: refund.id, changed: true, providerReference: reference };
  });
}
