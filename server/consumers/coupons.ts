import { sql } from 'drizzle-orm';
import { coupons } from '@/db/schema';
import { parseOrderEvent } from '@/server/orders/events';
import { defineConsumer } from '@/server/pipeline/define-consumer';

const COUPON_VALUE_CENTS = 500;

/**
 * A thank-you coupon per paid order, revoked when the sale is refunded. Keyed by order, so
 * a revocation that overtakes its issue (the issue sat in retries) still ends revoked.
 */
export const couponsConsumer = defineConsumer({
  group: 'coupons',
  topics: ['orders'],
  types: ['OrderPaid', 'RefundSucceeded'],
  handler: async (event, { tx }) => {
    if (event.type === 'OrderPaid') {
      const paid = parseOrderEvent('OrderPaid', event);
      await tx
        .insert(coupons)
        .values({ orderId: paid.orderId, userId: paid.userId, code: `CPN-${event.id}`, valueCents: COUPON_VALUE_CENTS, issuedAt: new Date() })
        .onConflictDoUpdate({ target: coupons.orderId, set: { issuedAt: sql`coalesce(${coupons.issuedAt}, now())` } });
      return;
    }
    const refunded = parseOrderEvent('RefundSucceeded', event);
    if (!refunded.reversesSale) return;
    await tx
      .insert(coupons)
      .values({ orderId: refunded.orderId, userId: refunded.userId, code: `CPN-${event.id}`, valueCents: COUPON_VALUE_CENTS, revokedAt: new Date() })
      .onConflictDoUpdate({ target: coupons.orderId, set: { revokedAt: sql`coalesce(${coupons.revokedAt}, now())` } });
  },
});
