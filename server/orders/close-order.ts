import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { appendEvent } from '@/server/pipeline';
import { orderEvent } from './events';
import { lockOrder, requireTransition, transitionOrder } from './order';
import { canTransition, ORDER_TRANSITIONS } from './order-state-machine';
import { releaseStock } from './stock';

/** Cancel before payment (customer or support): the order closes and its frozen stock goes back on sale. */
export async function cancelOrder(db: Executor, input: { orderId: string; reason: string }) {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, input.orderId);
    requireTransition(order, 'cancel', 'cancel');
    await close(tx, input.orderId, 'cancelled', input.reason);
    return { orderId: input.orderId, status: ORDER_TRANSITIONS.cancel.to };
  });
}

/**
 * The payment deadline passed (OrderPaymentTimeout). Does nothing when the order was paid
 * or closed in the meantime, or when the event arrives before the deadline (an early replay).
 */
export async function closeUnpaidOrder(tx: Executor, orderId: string): Promise<'closed' | 'not-pending' | 'not-due'> {
  const order = await lockOrder(tx, orderId);
  if (!canTransition(order.status, 'timeout')) return 'not-pending';
  // Compared on the database clock, the same clock the relay used to deliver the delayed event.
  const [deadline] = await tx.execute<{ due: boolean }>(sql`select payment_deadline <= now() as due from orders where id = ${orderId}`);
  if (!deadline?.due) return 'not-due';
  await close(tx, orderId, 'timeout');
  return 'closed';
}

async function close(tx: Executor, orderId: string, reason: 'timeout' | 'cancelled', detail?: string) {
  await releaseStock(tx, orderId);
  await transitionOrder(tx, orderId, reason === 'timeout' ? 'timeout' : 'cancel', { closedAt: new Date(), closeReason: detail ? `${reason}: ${detail}` : reason });
  await appendEvent(tx, orderEvent('OrderClosed', { orderId, reason, detail }));
}
