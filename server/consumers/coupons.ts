import { sql } from 'drizzle-orm';
import type { Transaction } from '@/db/client';
import { coupons } from '@/db/schema';
import { parseOrderEvent } from '@/server/orders/events';
import { defineConsumer, type PipelineEvent } from '@/server/pipeline';
import { COUPONS_GROUP } from './groups';

const COUPON_VALUE_CENTS = 500;

type CouponChange = { change: 'issue' | 'revoke'; row: typeof coupons.$inferInsert };

function couponChange(event: PipelineEvent): CouponChange | null {
  if (event.type === 'OrderPaid') {
    const paid = parseOrderEvent('OrderPaid', event);
    return { change: 'issue', row: { orderId: paid.orderId, userId: paid.userId, code: `CPN-${event.id}`, valueCents: COUPON_VALUE_CENTS, issuedAt: new Date() } };
  }
  const refunded = parseOrderEvent('RefundSucceeded', event);
  if (!refunded.reversesSale) return null;
  return { change: 'revoke', row: { orderId: refunded.orderId, userId: refunded.userId, code: `CPN-${event.id}`, valueCents: COUPON_VALUE_CENTS, revokedAt: new Date() } };
}

/** Issues first, then revocations, each at most once per order: an upsert may not touch a row twice. */
async function applyChanges(tx: Transaction, changes: CouponChange[]) {
  for (const kind of ['issue', 'revoke'] as const) {
    const rows = [...new Map(changes.filter((change) => change.change === kind).map((change) => [change.row.orderId, change.row])).values()];
    if (rows.length === 0) continue;
    await tx
      .insert(coupons)
      .values(rows)
      .onConflictDoUpdate({
        target: coupons.orderId,
        set: kind === 'issue' ? { issuedAt: sql`coalesce(${coupons.issuedAt}, excluded.issued_at)` } : { revokedAt: sql`coalesce(${coupons.revokedAt}, excluded.revoked_at)` },
      });
  }
}

/**
 * A thank-you coupon per paid order, revoked when the sale is refunded. Keyed by order, so
 * a revocation that overtakes its issue (the issue sat in retries) still ends revoked.
 */
export const couponsConsumer = defineConsumer({
  group: COUPONS_GROUP,
  topics: ['orders'],
  types: ['OrderPaid', 'RefundSucceeded'],
  handler: async (event, { tx }) => {
    const change = couponChange(event);
    if (change) await applyChanges(tx, [change]);
  },
  handleBatch: async (events, { tx }) => {
    await applyChanges(tx, events.map(couponChange).filter((change) => change !== null));
  },
});
