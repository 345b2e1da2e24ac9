import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { simPayments, simShipments, simSmsMessages } from '@/db/schema';
import { createOrder } from '@/server/orders/create-order';
import { answerPaymentNotification, paymentNotificationRoutes } from '@/server/http/payment-notifications';
import { serveHttp, type ServedHttp } from '@/server/http/serve-http';
import { countEvents, createSku, eventually, orderRow } from '@/server/orders/test-fixtures';
import { createTestDatabase } from '@/test/database';
import { IntegrationHttpError, IntegrationNetworkError, IntegrationTimeoutError, type IntegrationName } from './integration-client';
import { createLogisticsClient } from './logistics-client';
import { createPaymentClient } from './payment-client';
import { listSimulatorSettings, resetSimulatorSettings, updateSimulatorSettings } from './simulator-settings';
import { createSimulators } from './simulators';
import { createSmsClient } from './sms-client';
import { verifyWebhook, webhookHeaders, wmsWebhookSecrets } from './webhook-signature';
import { createWmsClient, wmsDispatchCallback } from './wms-client';

const { db } = await createTestDatabase();
const simulators = createSimulators({ db, hangMs: 1_500, wmsDispatchDelayMs: 0, redeliveryBackoff: { baseMs: 50, maxMs: 200 }, merchantOrigins: () => [server.url] });
const received: { path: string; body: string; valid: boolean }[] = [];
let failNextNotifications = 0;
let server: ServedHttp;

beforeAll(async () => {
  server = await serveHttp({
    routes: paymentNotificationRoutes(db),
    prefixes: {
      '/api/sim': simulators.handler,
      // A merchant endpoint that is down for a while, then forwards to the real handler.
      '/flaky/notify': async (request) => {
        if (failNextNotifications-- > 0) return new Response('down', { status: 503 });
        const answer = await answerPaymentNotification(db, { body: await request.text(), headers: webhookHeaders((name) => request.headers.get(name)) });
        return Response.json(answer.body, { status: answer.status });
      },
      '/wms/callback': async (request) => {
        const body = await request.text();
        const verdict = verifyWebhook({ secrets: wmsWebhookSecrets(), secretsVariable: 'WMS_WEBHOOK_SECRET', body, headers: webhookHeaders((name) => request.headers.get(name)) });
        received.push({ path: '/wms/callback', body, valid: verdict.valid });
        return Response.json({ ok: true });
      },
    },
  });
});
afterAll(() => server.close());
afterEach(() => resetSimulatorSettings(db));

const endpoint = (name: IntegrationName, timeoutMs = 500) => ({ name, baseUrl: `${server.url}/api/sim/${name}`, timeoutMs });

async function pendingOrder(priceCents = 1_500) {
  const sku = await createSku(db, { priceCents });
  return createOrder(db, { userId: 'user-sim', items: [{ sku, quantity: 1 }] });
}

describe('payment provider simulator', () => {
  it('takes a payment and notifies the merchant, signed, before answering', async () => {
    const order = await pendingOrder();
    const payment = await createPaymentClient(endpoint('payment', 5_000)).createPayment(
      { orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${server.url}/api/payments/notify` },
      `checkout:${order.orderId}`,
    );

    expect(payment.notification).toMatchObject({ delivered: true, status: 200 });
    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'PAID', paymentId: payment.paymentId });
  });

  it('redelivers with backoff until the merchant answers 2xx, then stops', async () => {
    const order = await pendingOrder();
    failNextNotifications = 3;
    const payment = await createPaymentClient(endpoint('payment', 5_000)).createPayment(
      { orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${server.url}/flaky/notify` },
      `checkout:${order.orderId}`,
    );
    expect(payment.notification).toMatchObject({ delivered: false, status: 503 });

    const background = simulators.start(20);
    try {
      const delivered = await eventually('the notification to be acknowledged', async () => {
        const [row] = await db.select().from(simPayments).where(eq(simPayments.id, payment.paymentId));
        return row?.notifiedAt ? row : undefined;
      });
      expect(delivered.notifyAttempts).toBe(4);
      expect(delivered.nextNotifyAt).toBeNull();
    } finally {
      await background.stop();
    }
    expect((await orderRow(db, order.orderId)).status).toBe('PAID');
    expect(await countEvents(db, order.orderId, 'OrderPaid')).toBe(1);
  });

  it('returns the first payment for a repeated idempotency key and answers queries', async () => {
    const order = await pendingOrder();
    const client = createPaymentClient(endpoint('payment', 5_000));
    const input = { orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${server.url}/api/payments/notify` };
    const first = await client.createPayment(input, `checkout:${order.orderId}`);
    const again = await client.createPayment(input, `checkout:${order.orderId}`);

    expect(again.paymentId).toBe(first.paymentId);
    expect(await client.paymentsForOrder(order.orderId)).toHaveLength(1);
    expect(await client.getPayment(first.paymentId)).toMatchObject({ amountCents: order.totalCents, refundedCents: 0 });
  });

  it('refunds once per refund id and never more than was paid', async () => {
    const order = await pendingOrder(2_000);
    const client = createPaymentClient(endpoint('payment', 5_000));
    const payment = await client.createPayment({ orderId: order.orderId, amountCents: 2_000, notifyUrl: `${server.url}/api/payments/notify` }, `checkout:${order.orderId}`);

    const refund = { refundId: `rfd_${order.orderId}`, paymentId: payment.paymentId, amountCents: 2_000 };
    expect(await client.refund(refund)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await client.refund(refund)).toMatchObject({ refundId: refund.refundId, status: 'SUCCEEDED' });
    expect((await client.getPayment(payment.paymentId)).refundedCents).toBe(2_000);

    const excess = client.refund({ ...refund, refundId: `rfd_other_${order.orderId}`, amountCents: 1 });
    await expect(excess).rejects.toBeInstanceOf(IntegrationHttpError);
    await expect(excess).rejects.toMatchObject({ status: 422, refused: true });
  });
});

describe('fault injection', () => {
  it('fails without applying the request at the configured failure rate', async () => {
    await updateSimulatorSettings(db, { simulator: 'sms', failureRate: 1 });
    const attempt = createSmsClient(endpoint('sms')).sendSms({ to: '+15550001', text: 'hello' }, 'fail-1');

    await expect(attempt).rejects.toMatchObject({ name: 'IntegrationHttpError', status: 503, refused: false });
    expect(await db.select().from(simSmsMessages).where(eq(simSmsMessages.idempotencyKey, 'fail-1'))).toHaveLength(0);
  });

  it('hangs past the client timeout at the configured timeout rate', async () => {
    await updateSimulatorSettings(db, { simulator: 'logistics', timeoutRate: 1 });
    const started = Date.now();
    await expect(createLogisticsClient(endpoint('logistics', 200)).trackWaybill('TRK1')).rejects.toBeInstanceOf(IntegrationTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('adds the configured latency plus jitter', async () => {
    await updateSimulatorSettings(db, { simulator: 'sms', latencyMs: 150, jitterMs: 50 });
    const started = Date.now();
    await createSmsClient(endpoint('sms')).sendSms({ to: '+15550001', text: 'slow' }, 'slow-1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('a lost WMS response is applied, and the retried push finds the same single shipment', async () => {
    const wms = createWmsClient(endpoint('wms'));
    const push = { orderId: 'ord_lost_response', items: [{ sku: 'SKU-A', quantity: 1 }], callbackUrl: `${server.url}/wms/callback` };
    await updateSimulatorSettings(db, { simulator: 'wms', lostResponseRate: 1 });
    await expect(wms.createShipment(push)).rejects.toMatchObject({ status: 502 });
    await expect(wms.createShipment(push)).rejects.toMatchObject({ status: 502 });

    await updateSimulatorSettings(db, { simulator: 'wms', lostResponseRate: 0 });
    const shipment = await wms.createShipment(push);
    const rows = await db.select().from(simShipments).where(eq(simShipments.orderId, push.orderId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: shipment.shipmentId, pushes: 3 });
  });

  it('reports an unreachable third party as a network error', async () => {
    const closed = await serveHttp({});
    await closed.close();
    await expect(createSmsClient({ name: 'sms', baseUrl: closed.url, timeoutMs: 500 }).sendSms({ to: '+1555', text: 'x' }, 'k')).rejects.toBeInstanceOf(
      IntegrationNetworkError,
    );
  });

  it('lists healthy defaults and keeps fields not being changed', async () => {
    expect((await listSimulatorSettings(db)).map((settings) => settings.failureRate)).toEqual([0, 0, 0, 0]);
    await updateSimulatorSettings(db, { simulator: 'wms', failureRate: 0.2, latencyMs: 30 });
    const updated = await updateSimulatorSettings(db, { simulator: 'wms', timeoutRate: 0.1 });
    expect(updated).toMatchObject({ failureRate: 0.2, latencyMs: 30, timeoutRate: 0.1 });
    await expect(updateSimulatorSettings(db, { simulator: 'wms', failureRate: 2 })).rejects.toThrow();
  });
});

describe('WMS simulator', () => {
  it('rejects new shipments at the configured reject rate', async () => {
    await updateSimulatorSettings(db, { simulator: 'wms', rejectRate: 1 });
    const attempt = createWmsClient(endpoint('wms')).createShipment({ orderId: 'ord_rejected', items: [{ sku: 'SKU-A', quantity: 1 }], callbackUrl: `${server.url}/wms/callback` });
    await expect(attempt).rejects.toMatchObject({ status: 422, refused: true });
  });

  it('dispatches, books a waybill and calls back signed; a dispatched shipment cannot be cancelled', async () => {
    const wms = createWmsClient(endpoint('wms'));
    await wms.createShipment({ orderId: 'ord_dispatch', items: [{ sku: 'SKU-A', quantity: 2 }], callbackUrl: `${server.url}/wms/callback` });
    await simulators.deliverDue();

    const callback = received.find((call) => call.body.includes('ord_dispatch'));
    expect(callback?.valid).toBe(true);
    const body = wmsDispatchCallback.parse(JSON.parse(callback!.body));
    expect(await createLogisticsClient(endpoint('logistics')).trackWaybill(body.trackingNumber)).toMatchObject({ carrier: body.carrier, shipmentId: body.shipmentId });
    await expect(wms.cancelShipment('ord_dispatch')).rejects.toMatchObject({ status: 409 });
  });

  it('cancels a shipment that has not left and then never dispatches it', async () => {
    const wms = createWmsClient(endpoint('wms'));
    await wms.createShipment({ orderId: 'ord_cancel', items: [{ sku: 'SKU-A', quantity: 1 }], callbackUrl: `${server.url}/wms/callback` });
    expect(await wms.cancelShipment('ord_cancel')).toMatchObject({ status: 'CANCELLED' });
    expect(await wms.cancelShipment('ord_cancel')).toMatchObject({ status: 'CANCELLED' });
    await simulators.deliverDue();
    expect(await wms.getShipment('ord_cancel')).toMatchObject({ status: 'CANCELLED', trackingNumber: null });
  });
});

describe('SMS simulator', () => {
  it('sends one message per idempotency key', async () => {
    const sms = createSmsClient(endpoint('sms'));
    const first = await sms.sendSms({ to: '+15550002', text: 'paid' }, 'ord_1:paid');
    const second = await sms.sendSms({ to: '+15550002', text: 'paid' }, 'ord_1:paid');
    expect(second.messageId).toBe(first.messageId);
  });
});
