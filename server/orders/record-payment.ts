import { eq } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { payments } from '@/db/schema';
import { appendEvent } from '@/server/pipeline/append-event';
import { orderEvent } from './events';
import { lockOrder, orderLineItems, setOrderStatus } from './order';
import { startRefund } from './request-refund';
import { confirmStock } from './stock';

export interface PaymentReport {
  paymentId: string;
  orderId: string;
  amountCents: number;
  paidAt: Date;
}

export type PaymentOutcome =
  | { kind: 'paid' }
  | { kind: 'duplicate' }
  /** Paid after the order closed, or paid twice: the money is accepted and refunded. */
  | { kind: 'refunding'; refundId: string; because: 'order-closed' | 'already-paid' }
  | { kind: 'amount-mismatch'; expectedCents: number };

/**
 * Applies a verified payment notification in one transaction. Locking the order first
 * serialises concurrent duplicates, and the provider's payment id (primary key of
 * `payments`) makes every copy after the first a no-op: exactly one OrderPaid.
 */
export async function recordPayment(db: Executor, report: PaymentReport): Promise<PaymentOutcome> {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, report.orderId);
    const [known] = await tx.select({ id: payments.id }).from(payments).where(eq(payments.id, report.paymentId));
    if (known) return { kind: 'duplicate' };
    // A different amount means a tampered or mis-routed notification: change nothing and let a person look.
    if (report.amountCents !== order.totalCents) return { kind: 'amount-mismatch', expectedCents: order.totalCents };

    await tx.insert(payments).values({ id: report.paymentId, orderId: order.id, amountCents: report.amountCents, receivedAt: report.paidAt });

    if (order.status !== 'PENDING_PAYMENT') {
      const closed = order.status === 'CLOSED';
      const refundId = await startRefund(tx, order, {
        paymentId: report.paymentId,
        amountCents: report.amountCents,
        kind: closed ? 'order' : 'extra_payment',
        reason: closed ? 'payment arrived after the order was closed' : `second payment for an order already ${order.status}`,
      });
      return { kind: 'refunding', refundId, because: closed ? 'order-closed' : 'already-paid' };
    }

    await confirmStock(tx, order.id);
    await setOrderStatus(tx, order.id, 'PAID', { paidAt: report.paidAt, paymentId: report.paymentId });
    await appendEvent(
      tx,
      orderEvent('OrderPaid', {
        orderId: order.id,
        userId: order.userId,
        contactPhone: order.contactPhone,
        paymentId: report.paymentId,
        amountCents: report.amountCents,
        items: await orderLineItems(tx, order.id),
        paidAt: report.paidAt.toISOString(),
      }),
    );
    return { kind: 'paid' };
  });
}
