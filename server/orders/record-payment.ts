import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { OrderStatus } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { appendEvent } from '@/server/pipeline/append-event';
import { appendEventsFrom, notifyAppended } from '@/server/pipeline/append-events-from';
import { ORDERS_TOPIC, orderEvent, type LineItem } from './events';
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
 * Applies a verified payment notification atomically. The common case, the first
 * notification for an unpaid order of the right amount, is one statement (so one round
 * trip, its own transaction): `payOrderInOneStatement`. Anything else (a duplicate, an
 * amount mismatch, a closed order, no such order) takes the general path, a transaction
 * that works out which and answers for it. Either way the order row is locked first, which
 * serialises concurrent copies, and the provider's payment id (primary key of `payments`)
 * makes every copy after the first a no-op: exactly one OrderPaid.
 */
export async function recordPayment(db: Executor, report: PaymentReport): Promise<PaymentOutcome> {
  if (await payOrderInOneStatement(db, report)) return { kind: 'paid' };
  return recordPaymentInTransaction(db, report);
}

/**
 * Order PAID, payment recorded, frozen stock confirmed as sold and OrderPaid appended, in
 * one statement, if the order is unpaid, the amount is right and the payment is new.
 * Returns false, having changed nothing, otherwise. The locking read returns the row as
 * the last committed transaction left it, so a copy that waited for another sees it PAID.
 */
async function payOrderInOneStatement(db: Executor, report: PaymentReport): Promise<boolean> {
  const paidAt = report.paidAt.toISOString();
  const [row] = await db.execute<{ paid: boolean }>(sql`
    with target as (
      select id from orders
      where id = ${report.orderId} and status = 'PENDING_PAYMENT' and total_cents = ${report.amountCents}
      for update
    ), payment as (
      insert into payments (id, order_id, amount_cents, received_at)
      select ${report.paymentId}, target.id, ${report.amountCents}, ${paidAt}::timestamptz from target
      on conflict (id) do nothing
      returning order_id
    ), paid as (
      update orders set status = 'PAID', paid_at = ${paidAt}::timestamptz, payment_id = ${report.paymentId}, updated_at = now(),
        stock_state = case when stock_state = 'FROZEN' then 'SOLD'::stock_state else stock_state end
      from payment where orders.id = payment.order_id
      returning orders.id, orders.user_id, orders.contact_phone
    ), appended as (${appendEventsFrom({
      topic: ORDERS_TOPIC,
      type: 'OrderPaid',
      key: sql`paid.id`,
      // The OrderPaid schema of events.ts, built here; the payment tests parse it with that schema.
      payload: sql`jsonb_build_object(
        'orderId', paid.id, 'userId', paid.user_id, 'contactPhone', paid.contact_phone,
        'paymentId', ${report.paymentId}::text, 'amountCents', ${report.amountCents}::int,
        'items', (select jsonb_agg(jsonb_build_object('sku', i.sku, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents) order by i.sku)
                  from order_items i where i.order_id = paid.id),
        'paidAt', ${paidAt}::text)`,
      from: sql`paid`,
    })})
    select exists (select 1 from appended) as paid, ${notifyAppended(sql`appended`)} as notified`);
  return row!.paid;
}

async function recordPaymentInTransaction(db: Executor, report: PaymentReport): Promise<PaymentOutcome> {
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
