import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { OrderStatus } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { appendEvent } from '@/server/pipeline/append-event';
import { orderEvent, type LineItem } from './events';
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

type LockedOrder = {
  id: string;
  status: OrderStatus;
  userId: string;
  contactPhone: string;
  totalCents: number;
  items: LineItem[];
};

/**
 * Applies a verified payment notification in one transaction. Locking the order first
 * serialises concurrent duplicates, and the provider's payment id (primary key of
 * `payments`) makes every copy after the first a no-op: exactly one OrderPaid.
 * This is the hot path of every payment, so it is written for few round trips: one to
 * lock and read, one to record, two to append the event, one to confirm the stock.
 */
export async function recordPayment(db: Executor, report: PaymentReport): Promise<PaymentOutcome> {
  return db.transaction(async (tx) => {
    const [order] = await tx.execute<LockedOrder>(sql`
      select o.id, o.status, o.user_id as "userId", o.contact_phone as "contactPhone", o.total_cents as "totalCents",
             (select coalesce(json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents) order by i.sku), '[]')
              from order_items i where i.order_id = o.id) as items
      from orders o where o.id = ${report.orderId}
      for update of o`);
    if (!order) throw new DomainError('NOT_FOUND', `Order ${report.orderId} does not exist.`);
    // A different amount means a tampered or mis-routed notification: change nothing and let a person look.
    if (report.amountCents !== order.totalCents) return { kind: 'amount-mismatch', expectedCents: order.totalCents };

    const paidAt = report.paidAt.toISOString();
    const paysOrder = order.status === 'PENDING_PAYMENT';
    // The payment id decides duplicates, not a read: a read in this statement would use the snapshot taken
    // before the lock wait, and miss the payment a concurrent copy of this notification just committed.
    const [recorded] = await tx.execute<{ new: boolean }>(sql`
      with payment as (
        insert into payments (id, order_id, amount_cents, received_at) values (${report.paymentId}, ${order.id}, ${report.amountCents}, ${paidAt}::timestamptz)
        on conflict (id) do nothing
        returning id
      ), paid as (
        update orders set status = 'PAID', paid_at = ${paidAt}::timestamptz, payment_id = ${report.paymentId}, updated_at = now()
        where id = ${order.id} and ${paysOrder} and exists (select 1 from payment)
      )
      select exists (select 1 from payment) as new`);
    if (!recorded!.new) return { kind: 'duplicate' };

    if (!paysOrder) {
      const closed = order.status === 'CLOSED';
      const refundId = await startRefund(tx, order.id, {
        paymentId: report.paymentId,
        amountCents: report.amountCents,
        kind: closed ? 'order' : 'extra_payment',
        reason: closed ? 'payment arrived after the order was closed' : `second payment for an order already ${order.status}`,
      });
      return { kind: 'refunding', refundId, because: closed ? 'order-closed' : 'already-paid' };
    }

    await appendEvent(
      tx,
      orderEvent('OrderPaid', {
        orderId: order.id,
        userId: order.userId,
        contactPhone: order.contactPhone,
        paymentId: report.paymentId,
        amountCents: report.amountCents,
        items: order.items,
        paidAt,
      }),
    );
    // Last before the commit: the SKU rows are the hot ones, so they stay locked for the shortest time.
    await confirmStock(tx, order.id);
    return { kind: 'paid' };
  });
}
