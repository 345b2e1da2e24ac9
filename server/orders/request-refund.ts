import { randomUUID } from 'node:crypto';
import type { Executor } from '@/db/client';
import { refunds } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { appendEvent } from '@/server/pipeline';
import { orderEvent } from './events';
import { lockOrder, requireTransition, transitionOrder } from './order';
import { ORDER_TRANSITIONS, type OrderEvent } from './order-state-machine';

/**
 * Starts the refund saga for a paid order (support action, or the fulfilment checks
 * rejecting it, or the storefront for its customer: `userId`). The order shows REFUNDING until the provider confirms; the compensations
 * (cancel shipment and restock, provider refund, then points/coupon reversal) are consumers.
 */
export async function requestRefund(db: Executor, input: { orderId: string; reason: string; userId?: string }) {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, input.orderId);
    // The storefront asks on behalf of the customer it vouches for: only for that customer's own order.
    if (input.userId !== undefined && order.userId !== input.userId) {
      throw new DomainError('FORBIDDEN', `Order ${order.id} belongs to another customer than ${input.userId}; ask for refunds of the signed-in customer's own orders only.`);
    }
    requireTransition(order, 'requestRefund', 'refund');
    if (!order.paymentId) throw new DomainError('CONFLICT', `Order ${order.id} is ${order.status} but has no payment on record.`);
    const refundId = await startRefund(tx, order.id, { paymentId: order.paymentId, amountCents: order.totalCents, kind: 'order', reason: input.reason }, 'requestRefund');
    return { orderId: order.id, refundId, status: ORDER_TRANSITIONS.requestRefund.to };
  });
}

/**
 * Records a refund and appends RefundRequested; the caller has locked the order row.
 * An `order` refund moves the order to REFUNDING by `event`; an `extra_payment` refund (a
 * second payment for an order already paid) leaves the order as it is, and has no event.
 */
export async function startRefund(
  tx: Executor,
  orderId: string,
  refund: { paymentId: string; amountCents: number; kind: 'order' | 'extra_payment'; reason: string },
  event: Extract<OrderEvent, 'requestRefund' | 'payAfterClose'> | null,
): Promise<string> {
  if ((refund.kind === 'order') !== (event !== null)) throw new Error(`A ${refund.kind} refund ${event ? 'has no' : 'needs an'} order event (got ${event}).`);
  const refundId = `rfd_${randomUUID()}`;
  await tx.insert(refunds).values({ id: refundId, orderId, ...refund });
  if (event) await transitionOrder(tx, orderId, event, { refundReason: refund.reason });
  await appendEvent(tx, orderEvent('RefundRequested', { orderId, refundId, ...refund }));
  return refundId;
}
