import { and, eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alerts, coupons, pointsLedger, refunds, salesHourly, shipments, simRefunds, simShipments, smsMessages } from '@/db/schema';
import { createPaymentClient } from '@/server/integrations/payment-client';
import { resetSimulatorSettings, updateSimulatorSettings } from '@/server/integrations/simulator-settings';
import { createOrder } from '@/server/orders/create-order';
import { requestRefund } from '@/server/orders/request-refund';
import { retryRefund } from '@/server/orders/retry-refund';
import { countEvents, createSku, eventually, orderRow, stockOf } from '@/server/orders/test-fixtures';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { createTestDatabase } from '@/test/database';
import { startOrderSystem, type OrderSystem } from '@/server/runtime/order-system';

const { db, url } = await createTestDatabase({ max: 20 });
let system: OrderSystem;

beforeAll(async () => {
  system = await startOrderSystem({
    db,
    url,
    simulators: { hangMs: 1_000, settingsMaxAgeMs: 0, wmsDispatchDelayMs: 200, redeliveryBackoff: { baseMs: 50, maxMs: 300 } },
    pipeline: fastPipelineOptions,
    consumers: { backoff: { baseMs: 100, maxMs: 400 }, refundAttempts: 3 },
    clientTimeoutMs: 500,
  });
});
afterAll(() => system.stop());
afterEach(() => resetSimulatorSettings(db));

async function placeOrder(options: { quantity?: number; userId?: string; paymentTimeoutMs?: number; stock?: number } = {}) {
  const sku = await createSku(db, { stock: options.stock ?? 100, priceCents: 2_000 });
  const order = await createOrder(db, {
    userId: options.userId ?? `user-${Math.random()}`,
    items: [{ sku, quantity: options.quantity ?? 1 }],
    paymentTimeoutMs: options.paymentTimeoutMs,
  });
  return { sku, ...order };
}

/** The customer's checkout: waits for the provider's first notification, however slow the machine. */
function pay(order: { orderId: string; totalCents: number }) {
  const checkout = createPaymentClient({ name: 'payment', baseUrl: `${system.url}/api/sim/payment`, timeoutMs: 15_000 });
  return checkout.createPayment({ orderId: order.orderId, amountCents: order.totalCents, notifyUrl: system.notifyUrl }, `checkout:${order.orderId}`);
}

const statusOf = async (orderId: string) => (await orderRow(db, orderId)).status;
const untilStatus = (orderId: string, status: string, timeoutMs?: number) =>
  eventually(`order ${orderId} to be ${status}`, async () => ((await statusOf(orderId)) === status ? true : undefined), timeoutMs);

describe('order lifecycle on the pipeline', () => {
  it('goes from payment to SHIPPED with carrier and tracking, crediting points and coupon and texting the customer', async () => {
    const order = await placeOrder({ quantity: 2 });
    const payment = await pay(order);
    expect(payment.notification).toMatchObject({ delivered: true, status: 200 });

    await untilStatus(order.orderId, 'SHIPPED');
    const shipped = await orderRow(db, order.orderId);
    expect(shipped.carrier).toBeTruthy();
    expect(shipped.trackingNumber).toMatch(/^TRK\d{12}$/);
    expect(await db.select().from(shipments).where(eq(shipments.orderId, order.orderId))).toMatchObject([{ status: 'DISPATCHED', trackingNumber: shipped.trackingNumber }]);
    expect(await stockOf(db, order.sku)).toEqual({ available: 98, frozen: 0, sold: 2 });

    await eventually('points, coupon, SMS and sales', async () => {
      const [points] = await db.select().from(pointsLedger).where(eq(pointsLedger.orderId, order.orderId));
      const [coupon] = await db.select().from(coupons).where(eq(coupons.orderId, order.orderId));
      const sms = await db.select().from(smsMessages).where(eq(smsMessages.orderId, order.orderId));
      const [sales] = await db.select().from(salesHourly).where(eq(salesHourly.sku, order.sku));
      return points && coupon && sms.length === 2 && sales ? { points, coupon, sms, sales } : undefined;
    }).then(({ points, coupon, sms, sales }) => {
      expect(points).toMatchObject({ entry: 'credit', points: 40 });
      expect(coupon.revokedAt).toBeNull();
      expect(sms.map((message) => message.kind).sort()).toEqual(['paid', 'shipped']);
      expect(sales).toMatchObject({ ordersPaid: 1, unitsSold: 2, gmvCents: 4_000 });
    });
    expect(await countEvents(db, order.orderId, 'ShipmentAccepted')).toBe(1);
  });

  it('three duplicated notifications produce one OrderPaid and one points credit', async () => {
    const order = await placeOrder();
    const payment = await pay(order);
    for (let copy = 0; copy < 3; copy++) {
      const resend = await fetch(`${system.url}/api/sim/payment/payments/${payment.paymentId}/notifications`, { method: 'POST' });
      expect(await resend.json()).toMatchObject({ delivered: true, status: 200 });
    }
    await untilStatus(order.orderId, 'SHIPPED');
    expect(await countEvents(db, order.orderId, 'OrderPaid')).toBe(1);
    expect(await db.select().from(pointsLedger).where(eq(pointsLedger.orderId, order.orderId))).toHaveLength(1);
  });

  it('with the WMS failing every request, payments are still answered fast, pushes pile up in retries and drain after it recovers', async () => {
    // Each WMS call takes 3 s and then fails: a notify path that waited for the WMS could not answer in time.
    await updateSimulatorSettings(db, { simulator: 'wms', failureRate: 1, latencyMs: 3_000 });
    const placed = await Promise.all(Array.from({ length: 5 }, () => placeOrder()));
    const payments = await Promise.all(placed.map(pay));

    for (const payment of payments) {
      expect(payment.notification?.delivered).toBe(true);
      expect(payment.notification!.latencyMs).toBeLessThan(1_500);
    }
    await eventually('five fulfilment retries', async () => {
      const [row] = await db.execute<{ count: number }>(sql`
        select count(*)::int as count from retries r join events e on e.id = r.event_id
        where r."group" = 'fulfilment' and e.key in ${placed.map((order) => order.orderId)}`);
      return row!.count === 5 ? true : undefined;
    });
    for (const order of placed) expect(await statusOf(order.orderId)).toBe('PAID');

    await updateSimulatorSettings(db, { simulator: 'wms', failureRate: 0, latencyMs: 0 });
    for (const order of placed) await untilStatus(order.orderId, 'SHIPPED');
    const pushed = await db.select().from(simShipments).where(sql`${simShipments.orderId} in ${placed.map((order) => order.orderId)}`);
    expect(pushed).toHaveLength(5);
  });

  it('lost WMS responses never create a second shipment', async () => {
    await updateSimulatorSettings(db, { simulator: 'wms', lostResponseRate: 1 });
    const order = await placeOrder();
    await pay(order);

    await eventually('the WMS to have received more than one push', async () => {
      const [shipment] = await db.select().from(simShipments).where(eq(simShipments.orderId, order.orderId));
      return shipment && shipment.pushes > 1 ? true : undefined;
    });
    await updateSimulatorSettings(db, { simulator: 'wms', lostResponseRate: 0 });
    await untilStatus(order.orderId, 'SHIPPED');
    expect(await db.select().from(simShipments).where(eq(simShipments.orderId, order.orderId))).toHaveLength(1);
    expect(await db.select().from(shipments).where(eq(shipments.orderId, order.orderId))).toHaveLength(1);
  });

  it('an unpaid order closes at its deadline, and a payment arriving after that is refunded automatically', async () => {
    const order = await placeOrder({ paymentTimeoutMs: 300, quantity: 3 });
    await untilStatus(order.orderId, 'CLOSED');
    expect(await stockOf(db, order.sku)).toEqual({ available: 100, frozen: 0, sold: 0 });

    const payment = await pay(order);
    expect(payment.notification).toMatchObject({ delivered: true, status: 200 });
    await untilStatus(order.orderId, 'REFUNDED');
    expect(await db.select().from(simRefunds).where(eq(simRefunds.paymentId, payment.paymentId))).toMatchObject([{ amountCents: 6_000 }]);
    expect(await db.select().from(pointsLedger).where(eq(pointsLedger.orderId, order.orderId))).toHaveLength(0);
    expect(await stockOf(db, order.sku)).toEqual({ available: 100, frozen: 0, sold: 0 });
  });

  it('a risk-rejected order is refunded with the reason, restocked, and its points and coupon reversed', async () => {
    const order = await placeOrder({ quantity: 60, stock: 100 });
    await pay(order);

    await untilStatus(order.orderId, 'REFUNDED');
    expect((await orderRow(db, order.orderId)).refundReason).toMatch(/^fulfilment rejected: risk: .* bought 60 units/);
    expect(await stockOf(db, order.sku)).toEqual({ available: 100, frozen: 0, sold: 0 });
    await eventually('points and coupon reversed', async () => {
      const entries = await db.select().from(pointsLedger).where(eq(pointsLedger.orderId, order.orderId));
      const [coupon] = await db.select().from(coupons).where(eq(coupons.orderId, order.orderId));
      return entries.length === 2 && coupon?.revokedAt ? entries : undefined;
    });
    expect(await db.select().from(simShipments).where(eq(simShipments.orderId, order.orderId))).toHaveLength(0);
  });

  it('a provider that keeps failing refunds leaves REFUND_FAILED and an alert, never REFUNDED; the console retry then completes it', async () => {
    const order = await placeOrder();
    await pay(order);
    await untilStatus(order.orderId, 'SHIPPED');
    await updateSimulatorSettings(db, { simulator: 'payment', failureRate: 1 });
    const { refundId } = await requestRefund(db, { orderId: order.orderId, reason: 'customer returned the goods' });

    await untilStatus(order.orderId, 'REFUND_FAILED');
    expect(await countEvents(db, order.orderId, 'RefundSucceeded')).toBe(0);
    const [refund] = await db.select().from(refunds).where(eq(refunds.id, refundId));
    expect(refund).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(refund!.lastError).toMatch(/HTTP 503/);
    const [alert] = await db.select().from(alerts).where(and(eq(alerts.kind, 'refund_failed'), eq(alerts.dedupeKey, `refund_failed:${refundId}`)));
    expect(alert).toMatchObject({ severity: 'critical', status: 'open' });

    await updateSimulatorSettings(db, { simulator: 'payment', failureRate: 0 });
    await retryRefund(db, { refundId, reason: 'provider is back' });
    await untilStatus(order.orderId, 'REFUNDED');
    expect(await db.select().from(simRefunds).where(eq(simRefunds.id, refundId))).toHaveLength(1);
    // Dispatched goods are not put back on sale by a refund.
    expect(await stockOf(db, order.sku)).toEqual({ available: 99, frozen: 0, sold: 1 });
  });
});
