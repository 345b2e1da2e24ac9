import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { orderItems, orders, type Order, type OrderStatus } from '@/db/schema';
import { DomainError } from '@/server/errors';
import type { LineItem } from './events';
import { canTransition, IllegalTransitionError, ORDER_TRANSITIONS, type OrderEvent } from './order-state-machine';

/** Locks the order row: every command that changes an order takes this lock before appending events. */
export async function lockOrder(tx: Executor, orderId: string): Promise<Order> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  if (!order) throw new DomainError('NOT_FOUND', `Order ${orderId} does not exist.`);
  return order;
}

export async function orderLineItems(db: Executor, orderId: string): Promise<LineItem[]> {
  return db
    .select({ sku: orderItems.sku, quantity: orderItems.quantity, unitPriceCents: orderItems.unitPriceCents })
    .from(orderItems)
    .where(eq(orderItems.orderId, orderId))
    .orderBy(orderItems.sku);
}

/**
 * Changes the order's status by `event` of the order state machine. The update is guarded by
 * the statuses the event applies to, so a command that reached this with the order in any
 * other status fails with IllegalTransitionError instead of writing it; the guard costs no
 * round trip, and the status is read again only to explain a refusal.
 */
export async function transitionOrder(tx: Executor, orderId: string, event: OrderEvent, changes: Partial<Order> = {}): Promise<OrderStatus> {
  const { from, to } = ORDER_TRANSITIONS[event];
  const changed = await tx
    .update(orders)
    .set({ ...changes, status: to, updatedAt: sql`now()` })
    .where(and(eq(orders.id, orderId), inArray(orders.status, from)))
    .returning({ id: orders.id });
  if (changed.length === 0) {
    const [current] = await tx.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
    if (!current) throw new DomainError('NOT_FOUND', `Order ${orderId} does not exist.`);
    throw new IllegalTransitionError(current.status, to, event);
  }
  return to;
}

/** Refuses, as a conflict the caller can show, a command whose event does not apply to the order's status. */
export function requireTransition(order: Order, event: OrderEvent, action: string) {
  if (!canTransition(order.status, event)) {
    throw new DomainError('CONFLICT', `Cannot ${action} order ${order.id}: it is ${order.status}, expected ${ORDER_TRANSITIONS[event].from.join(' or ')}.`);
  }
}
