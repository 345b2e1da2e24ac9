import { eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { orderItems, orders, type Order, type OrderStatus } from '@/db/schema';
import { DomainError } from '@/server/errors';
import type { LineItem } from './events';

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

export async function setOrderStatus(tx: Executor, orderId: string, status: OrderStatus, changes: Partial<Order> = {}) {
  await tx
    .update(orders)
    .set({ ...changes, status, updatedAt: sql`now()` })
    .where(eq(orders.id, orderId));
}

export function requireStatus(order: Order, allowed: readonly OrderStatus[], action: string) {
  if (!allowed.includes(order.status)) {
    throw new DomainError('CONFLICT', `Cannot ${action} order ${order.id}: it is ${order.status}, expected ${allowed.join(' or ')}.`);
  }
}
