import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { orderItems, orders } from '@/db/schema';
import { orderEvent } from '@/server/orders/events';
import { INITIAL_STATUS } from '@/server/orders/order-state-machine';
import { appendEvents } from '@/server/pipeline';

/** The buyer's contact when the storefront sent none with the attempt, as for a normal order. */
const DEFAULT_CONTACT_PHONE = '+10000000000';

/**
 * Turns admitted attempts into orders, in the caller's transaction: per attempt still without
 * its order, an order PENDING_PAYMENT of one unit at the sale price, its units FROZEN (they
 * are the sale's, already off normal stock, so no SKU row is touched), the payment deadline
 * the buyer was promised at admission, OrderCreated and the delayed OrderPaymentTimeout, as
 * for any order. The attempt rows are locked first and linked to their order, so an attempt
 * becomes exactly one order however often it is delivered. Returns the orders created.
 */
export async function createSaleOrders(tx: Executor, attempts: readonly { saleId: string; attemptId: string }[]): Promise<number> {
  if (attempts.length === 0) return 0;
  const due = await tx.execute<{ saleId: string; attemptId: string; buyerId: string; contactPhone: string | null; paymentDeadline: string; sku: string; priceCents: number }>(sql`
    select a.sale_id as "saleId", a.attempt_id as "attemptId", a.buyer_id as "buyerId", a.contact_phone as "contactPhone",
           to_json(a.payment_deadline) #>> '{}' as "paymentDeadline", s.sku, s.price_cents as "priceCents"
    from sale_attempts a join sales s on s.id = a.sale_id
    where (a.sale_id, a.attempt_id) in (
        select * from unnest(${sql.param(attempts.map((a) => a.saleId))}::text[], ${sql.param(attempts.map((a) => a.attemptId))}::text[]))
      and a.outcome = 'admitted' and a.order_id is null
    order by a.sale_id, a.attempt_id
    for update of a`);
  if (due.length === 0) return 0;
  const created = due.map((attempt) => ({ ...attempt, orderId: `ord_${randomUUID()}`, deadline: new Date(attempt.paymentDeadline) }));
  await tx.insert(orders).values(
    created.map((order): typeof orders.$inferInsert => ({
      id: order.orderId,
      userId: order.buyerId,
      contactPhone: order.contactPhone ?? DEFAULT_CONTACT_PHONE,
      status: INITIAL_STATUS,
      stockState: 'FROZEN',
      totalCents: order.priceCents,
      paymentDeadline: order.deadline,
    })),
  );
  await tx.insert(orderItems).values(created.map((order) => ({ orderId: order.orderId, sku: order.sku, quantity: 1, unitPriceCents: order.priceCents })));
  await tx.execute(sql`
    update sale_attempts a set order_id = l.order_id, order_created_at = clock_timestamp()
    from unnest(${sql.param(created.map((o) => o.saleId))}::text[], ${sql.param(created.map((o) => o.attemptId))}::text[], ${sql.param(created.map((o) => o.orderId))}::text[])
      as l(sale_id, attempt_id, order_id)
    where a.sale_id = l.sale_id and a.attempt_id = l.attempt_id`);
  // The order rows were inserted in this transaction, so they are already locked for the appends.
  await appendEvents(
    tx,
    created.flatMap((order) => {
      const items = [{ sku: order.sku, quantity: 1, unitPriceCents: order.priceCents }];
      return [
        orderEvent('OrderCreated', { orderId: order.orderId, userId: order.buyerId, items, totalCents: order.priceCents, paymentDeadline: order.deadline.toISOString() }),
        orderEvent('OrderPaymentTimeout', { orderId: order.orderId }, { deliverAt: order.deadline }),
      ];
    }),
  );
  return created.length;
}
