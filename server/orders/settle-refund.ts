import { eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { refunds, type Refund } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { raiseAlert } from '@/server/ops/raise-alert';
import { appendEvent } from '@/server/pipeline';
import { orderEvent } from './events';
import { lockOrder, orderLineItems, transitionOrder } from './order';
import { canTransition } from './order-state-machine';

/** Locks the refund's order, then the refund: the same lock order as every other order command. */
export async function lockRefund(tx: Executor, refundId: string): Promise<Refund> {
  const [unlocked] = await tx.select({ orderId: refunds.orderId }).from(refunds).where(eq(refunds.id, refundId));
  if (!unlocked) throw new DomainError('NOT_FOUND', `Refund ${refundId} does not exist.`);
  await lockOrder(tx, unlocked.orderId);
  const [refund] = await tx.select().from(refunds).where(eq(refunds.id, refundId)).for('update');
  return refund!;
}

/**
 * The provider confirmed the refund: only now does the order show REFUNDED. When the
 * refunded payment is the one that paid the order, RefundSucceeded says so, and the points,
 * coupon and sales consumers reverse what they did for OrderPaid.
 */
export async function completeRefund(tx: Executor, refundId: string, attempts: number) {
  const refund = await lockRefund(tx, refundId);
  if (refund.status === 'SUCCEEDED') return;
  const order = await lockOrder(tx, refund.orderId);
  await tx.update(refunds).set({ status: 'SUCCEEDED', attempts, lastError: null, updatedAt: sql`now()` }).where(eq(refunds.id, refundId));
  if (refund.kind === 'order') await transitionOrder(tx, order.id, canTransition(order.status, 'settleRefund') ? 'settleRefund' : 'confirmRefund');

  const reversesSale = refund.kind === 'order' && order.paymentId === refund.paymentId;
  await appendEvent(
    tx,
    orderEvent('RefundSucceeded', {
      orderId: order.id,
      refundId,
      userId: order.userId,
      contactPhone: order.contactPhone,
      amountCents: refund.amountCents,
      reversesSale,
      items: reversesSale ? await orderLineItems(tx, order.id) : [],
      refundedAt: new Date().toISOString(),
    }),
  );
}

/** The provider keeps failing or refused: REFUND_FAILED, never REFUNDED, and an alert for a person. */
export async function failRefund(tx: Executor, refundId: string, failure: { attempts: number; error: string }) {
  const refund = await lockRefund(tx, refundId);
  if (refund.status !== 'PENDING') return;
  await tx.update(refunds).set({ status: 'FAILED', attempts: failure.attempts, lastError: failure.error, updatedAt: sql`now()` }).where(eq(refunds.id, refundId));
  if (refund.kind === 'order') await transitionOrder(tx, refund.orderId, 'failRefund');
  await raiseAlert(tx, {
    kind: 'refund_failed',
    severity: 'critical',
    dedupeKey: `refund_failed:${refundId}`,
    title: `Refund ${refundId} of order ${refund.orderId} failed after ${failure.attempts} attempts`,
    details: { orderId: refund.orderId, refundId, paymentId: refund.paymentId, amountCents: refund.amountCents, error: failure.error },
  });
  await appendEvent(tx, orderEvent('RefundFailed', { orderId: refund.orderId, refundId, error: failure.error }));
}
