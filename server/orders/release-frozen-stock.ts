import type { Executor } from '@/db/client';
import { DomainError } from '@/server/errors';
import { lockOrder } from './order';
import { releaseStock } from './stock';

/**
 * Puts a closed order's still-frozen units back on sale (the close did not release them).
 * The stock state guard makes a repeat a no-op.
 */
export async function releaseFrozenStock(db: Executor, input: { orderId: string }) {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, input.orderId);
    if (order.status !== 'CLOSED') {
      throw new DomainError('CONFLICT', `Order ${order.id} is ${order.status}: frozen stock is released from here only for a CLOSED order (close it first).`);
    }
    const changed = await releaseStock(tx, order.id);
    return { orderId: order.id, changed, stockState: changed ? ('RELEASED' as const) : order.stockState };
  });
}
