import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { coupons, orders, payments, pointsLedger, refunds } from '@/db/schema';
import { createTestDatabase } from '@/test/database';
import { cancelOrder } from './close-order';
import { createOrder } from './create-order';
import { markRefundDone } from './mark-refund-done';
import { getOrderDetails } from './order-details';
import { listStuckOrders, searchOrders } from './order-search';
import { releaseFrozenStock } from './release-frozen-stock';
import { repushShipment } from './repush-shipment';
import { reversePoints } from './reverse-points';
import { revokeCoupon } from './revoke-coupon';
import { countEvents, createSku, orderRow, stockOf } from './test-fixtures';

const { db } = await createTestDatabase();

async function newOrder(userId = `user-${crypto.randomUUID()}`) {
  const sku = await createSku(db);
  const order = await createOrder(db, { userId, items: [{ sku, quantity: 2 }] });
  return { ...order, sku, userId };
}

/** Puts an order straight into a paid-then-refunded shape, as the consumers would leave it. */
async function refundedOrder(refundStatus: 'FAILED' | 'SUCCEEDED') {
  const order = await newOrder();
  const paymentId = `pay_${crypto.randomUUID()}`;
  await db.insert(payments).values({ id: paymentId, orderId: order.orderId, amountCents: order.totalCents });
  await db.update(orders).set({ status: refundStatus === 'FAILED' ? 'REFUND_FAILED' : 'REFUNDED', paymentId, stockState: 'SOLD', paidAt: new Date() }).where(eq(orders.id, order.orderId));
  const refundId = `rfd_${crypto.randomUUID()}`;
  await db.insert(refunds).values({ id: refundId, orderId: order.orderId, paymentId, kind: 'order', amountCents: order.totalCents, reason: 'test', status: refundStatus, attempts: 6, lastError: 'payment refund: HTTP 422' });
  await db.insert(pointsLedger).values({ orderId: order.orderId, entry: 'credit', userId: order.userId, points: 20, eventId: '1' });
  await db.insert(coupons).values({ orderId: order.orderId, userId: order.userId, code: 'CPN-1', valueCents: 500, issuedAt: new Date() });
  return { ...order, refundId };
}

describe('order compensations', () => {
  it('offers close only while unpaid, and closing releases the frozen stock once', async () => {
    const order = await newOrder();
    expect((await getOrderDetails(db, order.orderId)).compensations.map((c) => c.kind)).toEqual(['closeOrder']);
    await cancelOrder(db, { orderId: order.orderId, reason: 'customer called' });
    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'CLOSED', stockState: 'RELEASED' });
    expect((await getOrderDetails(db, order.orderId)).compensations).toEqual([]);
    await expect(cancelOrder(db, { orderId: order.orderId, reason: 'again' })).rejects.toThrow(/CLOSED/);
  });

  it('releases the stock a closed order still holds, and a repeat changes nothing', async () => {
    const order = await newOrder();
    await db.update(orders).set({ status: 'CLOSED' }).where(eq(orders.id, order.orderId));
    expect((await getOrderDetails(db, order.orderId)).compensations.map((c) => c.kind)).toEqual(['releaseStock']);
    expect(await releaseFrozenStock(db, { orderId: order.orderId })).toMatchObject({ changed: true });
    expect(await releaseFrozenStock(db, { orderId: order.orderId })).toMatchObject({ changed: false });
    expect(await stockOf(db, order.sku)).toEqual({ available: 100, frozen: 0, sold: 0 });
  });

  it('settles a failed refund by hand with the provider reference: REFUNDED and RefundSucceeded, once', async () => {
    const order = await refundedOrder('FAILED');
    expect((await getOrderDetails(db, order.orderId)).compensations.map((c) => c.kind)).toEqual(['retryRefund', 'markRefundDone']);
    await expect(markRefundDone(db, { orderId: order.orderId, providerReference: '' })).rejects.toThrow(/reference/);
    expect(await markRefundDone(db, { orderId: order.orderId, providerReference: 'PRV-7781' })).toMatchObject({ changed: true });
    expect(await markRefundDone(db, { orderId: order.orderId, providerReference: 'PRV-7781' })).toMatchObject({ changed: false });
    expect((await orderRow(db, order.orderId)).status).toBe('REFUNDED');
    expect(await countEvents(db, order.orderId, 'RefundSucceeded')).toBe(1);
    const [refund] = await db.select().from(refunds).where(eq(refunds.id, order.refundId));
    expect(refund).toMatchObject({ status: 'SUCCEEDED', lastError: 'settled manually, provider reference PRV-7781' });
  });

  it('reverses points and revokes the coupon of a refunded order at most once', async () => {
    const order = await refundedOrder('SUCCEEDED');
    expect((await getOrderDetails(db, order.orderId)).compensations.map((c) => c.kind)).toEqual(['reversePoints', 'revokeCoupon']);
    expect(await reversePoints(db, { orderId: order.orderId })).toMatchObject({ changed: true, points: -20 });
    expect(await reversePoints(db, { orderId: order.orderId })).toMatchObject({ changed: false });
    expect(await revokeCoupon(db, { orderId: order.orderId })).toMatchObject({ changed: true });
    expect(await revokeCoupon(db, { orderId: order.orderId })).toMatchObject({ changed: false });
    expect((await getOrderDetails(db, order.orderId)).compensations).toEqual([]);
  });

  it('refuses to re-push an order that has no failed warehouse push', async () => {
    const order = await newOrder();
    expect(await repushShipment(db, { orderId: order.orderId, actor: 'test' })).toMatchObject({ action: 'nothing to do' });
    await db.update(orders).set({ status: 'PAID' }).where(eq(orders.id, order.orderId));
    await expect(repushShipment(db, { orderId: order.orderId, actor: 'test' })).rejects.toThrow(/no failed warehouse push/);
  });
});

describe('order search and stuck orders', () => {
  it('lists an order past its stage deadline under its stage, and pages search results by cursor', async () => {
    const userId = `user-${crypto.randomUUID()}`;
    const first = await newOrder(userId);
    const second = await newOrder(userId);
    const third = await newOrder(userId);
    await db.execute(sql`update orders set status = 'PAID', updated_at = now() - interval '1 hour' where id = ${second.orderId}`);

    await db.execute(sql`update orders set updated_at = now() - interval '1 hour' where id = ${first.orderId}`);
    const stuck = await listStuckOrders(db, { userId });
    expect(stuck.orders.map((order) => [order.id, order.stage])).toEqual([[second.orderId, 'paid, not at warehouse']]);
    expect(stuck.orders[0]!.ageMs).toBeGreaterThan(59 * 60_000);
    // Unpaid for an hour but still before its payment deadline: not stuck.
    await db.execute(sql`update orders set payment_deadline = now() - interval '1 hour' where id = ${third.orderId}`);
    expect((await listStuckOrders(db, { userId })).orders.map((order) => order.id)).toEqual([second.orderId, third.orderId]);

    const page1 = await searchOrders(db, { userId, limit: 2 });
    expect(page1.orders.map((order) => order.id)).toEqual([third.orderId, second.orderId]);
    const page2 = await searchOrders(db, { userId, limit: 2, cursor: page1.nextCursor! });
    expect(page2).toMatchObject({ orders: [{ id: first.orderId }], nextCursor: null });
    expect((await searchOrders(db, { orderIds: [first.orderId, 'ord_missing'] })).orders.map((order) => order.id)).toEqual([first.orderId]);
  });
});
