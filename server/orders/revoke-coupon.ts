import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { coupons } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { lockOrder } from './order';

/** Revokes the thank-you coupon of a refunded order when the coupons consumer did not; a repeat is a no-op. */
export async function revokeCoupon(db: Executor, input: { orderId: string }) {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, input.orderId);
    if (order.status !== 'REFUNDED') throw new DomainError('CONFLICT', `Order ${order.id} is ${order.status}: the coupon is revoked only for a REFUNDED order.`);
    const [coupon] = await tx.select().from(coupons).where(eq(coupons.orderId, order.id));
    if (!coupon) throw new DomainError('CONFLICT', `Order ${order.id} has no coupon to revoke.`);
    const revoked = await tx
      .update(coupons)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(coupons.orderId, order.id), isNull(coupons.revokedAt)))
      .returning({ code: coupons.code });
    return { orderId: order.id, changed: revoked.length > 0, code: coupon.code };
  });
}
