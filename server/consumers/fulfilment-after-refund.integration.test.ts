import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDatabase } from '@/db/client';
import { alerts, shipments, simShipments } from '@/db/schema';
import { serveHttp } from '@/server/http/serve-http';
import { wmsCallbackRoutes } from '@/server/http/wms-callbacks';
import { createPaymentClient } from '@/server/integrations/payment-client';
import { createSimulators, simulatorDatabase } from '@/server/integrations/simulators';
import { createSmsClient } from '@/server/integrations/sms-client';
import { createWmsClient } from '@/server/integrations/wms-client';
import { createOrder } from '@/server/orders/create-order';
import { checkOrderInvariants } from '@/server/orders/order-invariants';
import { recordPayment } from '@/server/orders/record-payment';
import { requestRefund } from '@/server/orders/request-refund';
import { createSku, orderRow, stockOf } from '@/server/orders/test-fixtures';
import type { PipelineEvent } from '@/server/pipeline';
import { createTestDatabase } from '@/test/database';
import type { ConsumerDependencies } from './dependencies';
import { fulfilmentConsumer } from './fulfilment';

/**
 * A push to the warehouse that times out may still reach it later. When a refund comes in
 * between, its compensation finds nothing to cancel and puts the units back on sale, and then
 * the late push creates a live shipment for a refunded order. The fulfilment group must cancel
 * it when the push is retried, and a shipment that leaves anyway must take its units off sale
 * again, with an alert. The handler runs as the engine runs it (one transaction per event);
 * the warehouse is the simulator over HTTP, dispatching at once.
 */
const { db, url } = await createTestDatabase();
const simulatorDb = simulatorDatabase(url);
const simulators = createSimulators({ db: simulatorDb, settingsMaxAgeMs: 0, wmsDispatchDelayMs: 0, redeliveryBackoff: { baseMs: 50, maxMs: 200 }, merchantOrigins: () => [server.url] });
const server = await serveHttp({ routes: wmsCallbackRoutes(db), prefixes: { '/api/sim': simulators.handler } });
const endpoint = (name: 'payment' | 'wms' | 'sms') => ({ name, baseUrl: `${server.url}/api/sim/${name}`, timeoutMs: 5_000 });
const dependencies: ConsumerDependencies = {
  payment: createPaymentClient(endpoint('payment')),
  wms: createWmsClient(endpoint('wms')),
  sms: createSmsClient(endpoint('sms')),
  callbackBaseUrl: () => server.url,
};
const fulfilment = fulfilmentConsumer(dependencies);

afterAll(async () => {
  await server.close();
  await closeDatabase(simulatorDb);
});

/** The order's event of this type as the fulfilment group receives it (the relay is not running: it is still in the outbox). */
async function eventOf(orderId: string, type: 'OrderPaid' | 'RefundRequested'): Promise<PipelineEvent> {
  const [row] = await db.execute<{ id: string; topic: string; key: string; type: string; payload: unknown; headers: Record<string, string>; created_at: string }>(
    sql`select id::text, topic, key, type, payload, headers, created_at from outbox where key = ${orderId} and type = ${type}`,
  );
  return { id: row!.id, topic: row!.topic, key: row!.key, type: row!.type, payload: row!.payload, headers: row!.headers, createdAt: new Date(row!.created_at), partition: 0, offset: 0 };
}

async function deliver(event: PipelineEvent) {
  await db.transaction((tx) => fulfilment.handler(event, { tx, group: fulfilment.group, attempt: 2 }));
}

async function warehouseShipment(orderId: string) {
  const [shipment] = await db.select().from(simShipments).where(eq(simShipments.orderId, orderId));
  return shipment;
}

/**
 * Paid, then refunded before the fulfilment group got the push through; the compensation has
 * run (nothing at the warehouse, units back on sale); then the push that timed out lands.
 */
async function pushLandedAfterRestock(options: { stock: number; quantity: number }) {
  const sku = await createSku(db, { stock: options.stock });
  const order = await createOrder(db, { userId: `user-${randomUUID()}`, items: [{ sku, quantity: options.quantity }] });
  expect(await recordPayment(db, { paymentId: `pay_${randomUUID()}`, orderId: order.orderId, amountCents: order.totalCents, paidAt: new Date() })).toEqual({ kind: 'paid' });
  await requestRefund(db, { orderId: order.orderId, reason: 'customer changed their mind' });
  await deliver(await eventOf(order.orderId, 'RefundRequested'));
  expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'REFUNDING', stockState: 'RESTOCKED' });
  expect(await stockOf(db, sku)).toEqual({ available: options.stock, frozen: 0, sold: 0 });

  await dependencies.wms.createShipment({ orderId: order.orderId, items: [{ sku, quantity: options.quantity }], callbackUrl: `${server.url}/api/wms/callback` });
  expect(await warehouseShipment(order.orderId)).toMatchObject({ status: 'ACCEPTED' });
  return { ...order, sku };
}

const violationsOf = async (orderId: string) => (await checkOrderInvariants(db)).filter((violation) => violation.subject === orderId);

describe('a warehouse push that lands after the refund put its units back on sale', () => {
  it('is cancelled when the push is retried, so the goods never leave and the units stay on sale', async () => {
    const order = await pushLandedAfterRestock({ stock: 10, quantity: 2 });

    await deliver(await eventOf(order.orderId, 'OrderPaid'));

    expect(await warehouseShipment(order.orderId)).toMatchObject({ status: 'CANCELLED' });
    await simulators.deliverDue();
    expect(await warehouseShipment(order.orderId)).toMatchObject({ status: 'CANCELLED' });
    expect(await stockOf(db, order.sku)).toEqual({ available: 10, frozen: 0, sold: 0 });
    expect(await violationsOf(order.orderId)).toEqual([]);
  });

  it('that leaves before the retry takes its units off sale again and raises an alert; the retry then changes nothing', async () => {
    const order = await pushLandedAfterRestock({ stock: 10, quantity: 2 });

    // The warehouse dispatches it and calls back.
    await simulators.deliverDue();
    expect(await warehouseShipment(order.orderId)).toMatchObject({ status: 'DISPATCHED', callbackAttempts: 1, lastCallbackError: null });

    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'REFUNDING', stockState: 'SOLD' });
    expect(await stockOf(db, order.sku)).toEqual({ available: 8, frozen: 0, sold: 2 });
    expect(await db.select().from(shipments).where(eq(shipments.orderId, order.orderId))).toMatchObject([{ status: 'DISPATCHED' }]);
    const [alert] = await db.select().from(alerts).where(and(eq(alerts.kind, 'shipment.after_restock'), eq(alerts.dedupeKey, `shipment.after_restock:${order.orderId}`)));
    expect(alert).toMatchObject({ severity: 'warning', status: 'open' });
    expect(alert!.title).toMatch(/left the warehouse after its units went back on sale; they are off sale again\. .*recall the parcel \([\w ]+ TRK\d{12}\) or write it off/);
    expect(await violationsOf(order.orderId)).toEqual([]);

    // The warehouse answers the retry's cancel with 409 (already left): nothing more to do.
    await deliver(await eventOf(order.orderId, 'OrderPaid'));
    expect(await stockOf(db, order.sku)).toEqual({ available: 8, frozen: 0, sold: 2 });
  });

  it('that leaves after its units were sold to someone else raises a critical alert and leaves the stock for a person', async () => {
    const order = await pushLandedAfterRestock({ stock: 3, quantity: 2 });
    // Another customer takes the units that went back on sale.
    await createOrder(db, { userId: `user-${randomUUID()}`, items: [{ sku: order.sku, quantity: 3 }] });

    await simulators.deliverDue();
    expect(await warehouseShipment(order.orderId)).toMatchObject({ status: 'DISPATCHED', lastCallbackError: null });

    expect(await orderRow(db, order.orderId)).toMatchObject({ stockState: 'RESTOCKED' });
    expect(await stockOf(db, order.sku)).toEqual({ available: 0, frozen: 3, sold: 0 });
    const [alert] = await db.select().from(alerts).where(eq(alerts.dedupeKey, `shipment.after_restock:${order.orderId}`));
    expect(alert).toMatchObject({ severity: 'critical', status: 'open' });
    expect(alert!.title).toMatch(/some were sold again since: stock is short\. Recall the parcel \([\w ]+ TRK\d{12}\) or correct the SKUs' stock by hand/);
  });
});
