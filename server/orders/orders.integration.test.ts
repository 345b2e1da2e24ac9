import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { DomainError } from '@/server/errors';
import { traceKey } from '@/server/pipeline';
import { createTestDatabase } from '@/test/database';
import { cancelOrder, closeUnpaidOrder } from './close-order';
import { createOrder, InsufficientStockError } from './create-order';
import { recordPayment } from './record-payment';
import { seedCatalog } from './seed-catalog';
import { countEvents, createSku, eventually, orderRow, stockOf } from './test-fixtures';

const { db } = await createTestDatabase();

describe('create order', () => {
  it('prices items from the catalog, freezes stock and schedules the payment timeout', async () => {
    const shirts = await createSku(db, { stock: 5, priceCents: 1_999 });
    const mugs = await createSku(db, { stock: 5, priceCents: 500 });
    const before = Date.now();
    const order = await createOrder(db, { userId: 'user-1', items: [{ sku: shirts, quantity: 2 }, { sku: mugs, quantity: 1 }], paymentTimeoutMs: 60_000 });

    expect(order.totalCents).toBe(2 * 1_999 + 500);
    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'PENDING_PAYMENT', stockState: 'FROZEN', totalCents: 4_498 });
    expect(await stockOf(db, shirts)).toEqual({ available: 3, frozen: 2, sold: 0 });
    expect(await stockOf(db, mugs)).toEqual({ available: 4, frozen: 1, sold: 0 });

    const timeouts = (await traceKey(db, { key: order.orderId })).filter((event) => event.type === 'OrderPaymentTimeout');
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]!.partition).toBeNull();
    const delayMs = timeouts[0]!.deliverAt.getTime() - before;
    expect(delayMs).toBeGreaterThanOrEqual(59_000);
    expect(delayMs).toBeLessThan(70_000);
    expect(await countEvents(db, order.orderId, 'OrderCreated')).toBe(1);
  });

  it('defaults the payment deadline to 30 minutes', async () => {
    const sku = await createSku(db);
    const order = await createOrder(db, { userId: 'user-1', items: [{ sku, quantity: 1 }] });
    const minutes = (order.paymentDeadline.getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(29.9);
    expect(minutes).toBeLessThanOrEqual(30);
  });

  it('refuses when one SKU is short, naming it, and freezes nothing', async () => {
    const plenty = await createSku(db, { stock: 10 });
    const scarce = await createSku(db, { stock: 1 });
    const attempt = createOrder(db, { userId: 'user-1', items: [{ sku: plenty, quantity: 3 }, { sku: scarce, quantity: 2 }] });

    await expect(attempt).rejects.toBeInstanceOf(InsufficientStockError);
    await expect(attempt).rejects.toThrow(`${scarce} (requested 2, available 1)`);
    expect(await stockOf(db, plenty)).toEqual({ available: 10, frozen: 0, sold: 0 });
    expect(await stockOf(db, scarce)).toEqual({ available: 1, frozen: 0, sold: 0 });
  });

  it('refuses unknown SKUs and malformed input', async () => {
    await expect(createOrder(db, { userId: 'user-1', items: [{ sku: 'SKU-NOPE', quantity: 1 }] })).rejects.toThrow('Unknown SKU: SKU-NOPE');
    await expect(createOrder(db, { userId: 'user-1', items: [] })).rejects.toThrow();
  });

  it('never oversells when many orders race for the last units', async () => {
    const sku = await createSku(db, { stock: 5 });
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => createOrder(db, { userId: 'user-2', items: [{ sku, quantity: 1 }] })));

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(5);
    expect(await stockOf(db, sku)).toEqual({ available: 0, frozen: 5, sold: 0 });
  });

  it('orders racing over the same two SKUs are all or nothing: no deadlock, no unit frozen without its order', async () => {
    const shirts = await createSku(db, { stock: 6 });
    const mugs = await createSku(db, { stock: 4 });
    // Lines in both orders, and some orders asking for more mugs than will be left: each must
    // freeze both SKUs or neither, whatever the interleaving.
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, index) =>
        createOrder(db, {
          userId: `user-race-${index}`,
          items: index % 2 === 0 ? [{ sku: shirts, quantity: 1 }, { sku: mugs, quantity: 1 + (index % 4 === 0 ? 1 : 0) }] : [{ sku: mugs, quantity: 1 }, { sku: shirts, quantity: 1 }],
        }),
      ),
    );
    const refused = results.filter((result) => result.status === 'rejected');
    for (const result of refused) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(InsufficientStockError);
    const shirtsStock = await stockOf(db, shirts);
    const mugsStock = await stockOf(db, mugs);
    expect(shirtsStock.available + shirtsStock.frozen).toBe(6);
    expect(mugsStock.available + mugsStock.frozen).toBe(4);
    expect(mugsStock.available).toBeGreaterThanOrEqual(0);
    // Every placed order froze one shirt: the shirts frozen are the orders placed.
    expect(shirtsStock.frozen).toBe(results.length - refused.length);
  });
});

describe('cancel and timeout', () => {
  it('cancelling an unpaid order releases its frozen stock', async () => {
    const sku = await createSku(db, { stock: 4 });
    const order = await createOrder(db, { userId: 'user-1', items: [{ sku, quantity: 3 }] });
    await cancelOrder(db, { orderId: order.orderId, reason: 'customer request' });

    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'CLOSED', stockState: 'RELEASED', closeReason: 'cancelled: customer request' });
    expect(await stockOf(db, sku)).toEqual({ available: 4, frozen: 0, sold: 0 });
    expect(await countEvents(db, order.orderId, 'OrderClosed')).toBe(1);
  });

  it('refuses to cancel a paid order', async () => {
    const sku = await createSku(db, { priceCents: 700 });
    const order = await createOrder(db, { userId: 'user-1', items: [{ sku, quantity: 1 }] });
    await recordPayment(db, { paymentId: `pay_${order.orderId}`, orderId: order.orderId, amountCents: 700, paidAt: new Date() });

    const attempt = cancelOrder(db, { orderId: order.orderId, reason: 'too late' });
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toThrow('it is PAID');
  });

  it('the timeout closes an unpaid order after its deadline and releases stock', async () => {
    const sku = await createSku(db, { stock: 2 });
    const order = await createOrder(db, { userId: 'user-1', items: [{ sku, quantity: 2 }], paymentTimeoutMs: 1 });
    await eventually('the payment deadline to pass on the database clock', async () => {
      const [row] = await db.execute<{ due: boolean }>(sql`select payment_deadline <= now() as due from orders where id = ${order.orderId}`);
      return row!.due ? true : undefined;
    });

    expect(await db.transaction((tx) => closeUnpaidOrder(tx, order.orderId))).toBe('closed');
    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'CLOSED', closeReason: 'timeout' });
    expect(await stockOf(db, sku)).toEqual({ available: 2, frozen: 0, sold: 0 });
  });

  it('the timeout does nothing to a paid order, nor before the deadline', async () => {
    const sku = await createSku(db, { priceCents: 300 });
    const early = await createOrder(db, { userId: 'user-1', items: [{ sku, quantity: 1 }] });
    expect(await db.transaction((tx) => closeUnpaidOrder(tx, early.orderId))).toBe('not-due');

    const paid = await createOrder(db, { userId: 'user-1', items: [{ sku, quantity: 1 }], paymentTimeoutMs: 1 });
    await recordPayment(db, { paymentId: `pay_${paid.orderId}`, orderId: paid.orderId, amountCents: 300, paidAt: new Date() });
    expect(await db.transaction((tx) => closeUnpaidOrder(tx, paid.orderId))).toBe('not-pending');
    expect(await orderRow(db, paid.orderId)).toMatchObject({ status: 'PAID', stockState: 'SOLD' });
  });
});

describe('seed catalog', () => {
  it('is idempotent', async () => {
    const first = await seedCatalog(db);
    const second = await seedCatalog(db);
    expect(first.inserted).toBeGreaterThan(0);
    expect(second.inserted).toBe(0);
  });
});
