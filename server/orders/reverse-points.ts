import { and, eq } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { pointsLedger } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { lockOrder } from './order';

/**
 * Reverses the points credited for a refunded order when the points consumer did not (its
 * RefundSucceeded delivery was discarded, say). The ledger allows one reversal per order,
 * so a repeat, or the consumer catching up later, cannot reverse twice.
 */
export async function reversePoints(db: Executor, input: { orderId: string }) {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, input.orderId);
    if (order.status !== 'REFUNDED') throw new DomainError('CONFLICT', `Order ${order.id} is ${order.status}: points are reversed only for a REFUNDED order.`);
    const [credit] = await tx.select().from(pointsLedger).where(and(eq(pointsLedger.orderId, order.id), eq(pointsLedger.entry, 'credit')));
    if (!credit) throw new DomainError('CONFLICT', `Order ${order.id} has no points credited, so there is nothing to reverse.`);
    const inserted = await tx
      .insert(pointsLedger)
      .values({ orderId: order.id, entry: 'reversal', userId: credit.userId, points: -credit.points, eventId: 'console' })
      .onConflictDoNothing()
      .returning({ points: pointsLedger.points });
    return { orderId: order.id, changed: inserted.length > 0, points: -credit.points };
  });
}
