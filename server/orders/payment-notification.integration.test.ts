import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { payments, refunds } from '@/db/schema';
import { paymentNotificationRoutes } from '@/server/http/payment-notifications';
import { generateWebhookSecret } from '@/server/integrations/webhook-signature';
import { serveHttp, type ServedHttp } from '@/server/http/serve-http';
import { OUTBOX_CHANNEL, RELAY_WAKE_UP_EVERY_MS } from '@/server/pipeline';
import { waitFor } from '@/test/wait-for';
import { createTestDatabase } from '@/test/database';
import { cancelOrder } from './close-order';
import { createOrder } from './create-order';
import { orderEventSchemas } from './events';
import { PAYMENT_STATEMENTS_IN_FLIGHT, paymentStatementSessions, recordPayment, type PaymentOutcome } from './record-payment';
import { countEvents, createSku, eventually, orderRow, paymentNotification, postSignedJson, stockOf } from './test-fixtures';

const { db } = await createTestDatabase();

async function pendingOrder(quantity = 2) {
  const sku = await createSku(db, { stock: 10, priceCents: 1_250 });
  const order = await createOrder(db, { userId: 'user-1', items: [{ sku, quantity }] });
  return { sku, order };
}

describe('payment notification through the order API', () => {
  let server: ServedHttp;
  let notifyUrl: string;

  beforeAll(async () => {
    server = await serveHttp({ routes: paymentNotificationRoutes(db) });
    notifyUrl = `${server.url}/api/payments/notify`;
  });
  afterAll(() => server.close());

  it('marks the order paid, confirms the frozen stock and appends one OrderPaid', async () => {
    const { sku, order } = await pendingOrder();
    const answer = await postSignedJson(notifyUrl, paymentNotification(order.orderId, 2_500));

    expect(answer.status).toBe(200);
    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'PAID', stockState: 'SOLD' });
    expect(await stockOf(db, sku)).toEqual({ available: 8, frozen: 0, sold: 2 });
    expect(await countEvents(db, order.orderId, 'OrderPaid')).toBe(1);
  });

  it('appends an OrderPaid that consumers can parse, with the order, its items and the payment', async () => {
    const sku = await createSku(db, { stock: 10, priceCents: 400 });
    const other = await createSku(db, { stock: 10, priceCents: 100 });
    const order = await createOrder(db, { userId: 'user-7', contactPhone: '+15550001111', items: [{ sku, quantity: 2 }, { sku: other, quantity: 1 }] });
    const notification = paymentNotification(order.orderId, 900);
    await postSignedJson(notifyUrl, notification);

    const [event] = await db.execute<{ payload: unknown }>(sql`select payload from outbox where key = ${order.orderId} and type = 'OrderPaid'
      union all select payload from events where key = ${order.orderId} and type = 'OrderPaid'`);
    expect(orderEventSchemas.OrderPaid.parse(event!.payload)).toEqual({
      orderId: order.orderId,
      userId: 'user-7',
      contactPhone: '+15550001111',
      paymentId: notification.paymentId,
      amountCents: 900,
      items: [
        { sku, quantity: 2, unitPriceCents: 400 },
        { sku: other, quantity: 1, unitPriceCents: 100 },
      ].sort((a, b) => a.sku.localeCompare(b.sku)),
      paidAt: new Date(notification.paidAt).toISOString(),
    });
  });

  it('answers three duplicates, sequential or concurrent, the same way and pays once', async () => {
    const { sku, order } = await pendingOrder();
    const notification = paymentNotification(order.orderId, 2_500);
    const first = await postSignedJson(notifyUrl, notification);
    const repeats = await Promise.all([1, 2, 3].map(() => postSignedJson(notifyUrl, notification)));

    for (const repeat of repeats) expect(repeat).toEqual(first);
    expect(first).toEqual({ status: 200, body: { received: true, paymentId: notification.paymentId } });
    expect(await countEvents(db, order.orderId, 'OrderPaid')).toBe(1);
    expect(await db.select().from(payments).where(eq(payments.orderId, order.orderId))).toHaveLength(1);
    expect(await stockOf(db, sku)).toEqual({ available: 8, frozen: 0, sold: 2 });
  });

  it('pays exactly once when duplicates race each other from the first delivery', async () => {
    const { order } = await pendingOrder();
    const notification = paymentNotification(order.orderId, 2_500);
    const answers = await Promise.all([1, 2, 3].map(() => postSignedJson(notifyUrl, notification)));

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(await countEvents(db, order.orderId, 'OrderPaid')).toBe(1);
  });

  it('refuses a forged signature with 401 and changes nothing', async () => {
    const { sku, order } = await pendingOrder();
    const answer = await postSignedJson(notifyUrl, paymentNotification(order.orderId, 2_500), { secrets: generateWebhookSecret() });

    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: 'invalid_signature' });
    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'PENDING_PAYMENT', stockState: 'FROZEN' });
    expect(await stockOf(db, sku)).toEqual({ available: 8, frozen: 2, sold: 0 });
    expect(await countEvents(db, order.orderId, 'OrderPaid')).toBe(0);
  });

  it('refuses a correctly signed notification whose timestamp is older than five minutes', async () => {
    const { order } = await pendingOrder();
    const answer = await postSignedJson(notifyUrl, paymentNotification(order.orderId, 2_500), { at: new Date(Date.now() - 6 * 60_000) });

    expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_signature', message: expect.stringContaining('outside the 5-minute tolerance') } });
    expect((await orderRow(db, order.orderId)).status).toBe('PENDING_PAYMENT');
  });

  it('answers 400 naming the problem for a signed but malformed body', async () => {
    expect(await postSignedJson(notifyUrl, 'not json')).toMatchObject({ status: 400, body: { error: 'malformed_body' } });
    const answer = await postSignedJson(notifyUrl, { type: 'payment.succeeded', orderId: 'ord_x', amountCents: -1 });
    expect(answer.status).toBe(400);
    expect(String(answer.body.message)).toMatch(/paymentId/);
    expect(String(answer.body.message)).toMatch(/amountCents/);
  });

  it('refuses a payment whose amount differs from the order total and changes nothing', async () => {
    const { order } = await pendingOrder();
    const answer = await postSignedJson(notifyUrl, paymentNotification(order.orderId, 2_499));

    expect(answer).toMatchObject({ status: 422, body: { error: 'amount_mismatch' } });
    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'PENDING_PAYMENT', stockState: 'FROZEN' });
    expect(await db.select().from(payments).where(eq(payments.orderId, order.orderId))).toHaveLength(0);
  });

  it('answers 404 for an order that does not exist', async () => {
    expect((await postSignedJson(notifyUrl, paymentNotification('ord_missing', 100))).status).toBe(404);
  });

  it('accepts a payment for a closed order and starts its refund without touching stock', async () => {
    const { sku, order } = await pendingOrder();
    await cancelOrder(db, { orderId: order.orderId, reason: 'customer changed their mind' });
    const notification = paymentNotification(order.orderId, 2_500);
    const answer = await postSignedJson(notifyUrl, notification);

    expect(answer.status).toBe(200);
    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'REFUNDING', stockState: 'RELEASED', paymentId: null });
    expect(await stockOf(db, sku)).toEqual({ available: 10, frozen: 0, sold: 0 });
    const [refund] = await db.select().from(refunds).where(eq(refunds.orderId, order.orderId));
    expect(refund).toMatchObject({ paymentId: notification.paymentId, amountCents: 2_500, kind: 'order', status: 'PENDING' });
    expect(await countEvents(db, order.orderId, 'RefundRequested')).toBe(1);
    expect(await countEvents(db, order.orderId, 'OrderPaid')).toBe(0);

    await postSignedJson(notifyUrl, notification);
    expect(await countEvents(db, order.orderId, 'RefundRequested')).toBe(1);
  });

  it('refunds a second, different payment for an order that is already paid, leaving the order paid', async () => {
    const { order } = await pendingOrder();
    await postSignedJson(notifyUrl, paymentNotification(order.orderId, 2_500));
    const second = paymentNotification(order.orderId, 2_500);
    expect((await postSignedJson(notifyUrl, second)).status).toBe(200);

    expect((await orderRow(db, order.orderId)).status).toBe('PAID');
    const [refund] = await db.select().from(refunds).where(eq(refunds.paymentId, second.paymentId));
    expect(refund).toMatchObject({ kind: 'extra_payment', amountCents: 2_500 });
  });
});

describe('recording payments that arrive together', () => {
  it('pays fifty orders notified at the same moment in shared statements, each with its own payment and OrderPaid', async () => {
    const orders = await Promise.all(Array.from({ length: 50 }, () => pendingOrder(1)));
    // Each with the webhook-id of its notification, which the shared statement records with the payment.
    const reports = orders.map(({ order }) => ({ paymentId: `pay_${order.orderId}`, orderId: order.orderId, amountCents: 1_250, paidAt: new Date(), webhookId: `msg_${order.orderId}` }));
    const outcomes = await Promise.all(reports.map((report) => recordPayment(db, report)));

    expect(outcomes).toEqual(reports.map(() => ({ kind: 'paid' })));
    const events = await db.execute<{ key: string; payment_id: string; transaction: string }>(sql`
      select key, payload->>'paymentId' as payment_id, xmin::text as transaction from outbox
      where type = 'OrderPaid' and key in ${orders.map(({ order }) => order.orderId)}`);
    expect(events.map((event) => [event.key, event.payment_id]).sort()).toEqual(reports.map((report) => [report.orderId, report.paymentId]).sort());
    // Rows written by one statement share its transaction id: fewer transactions than payments.
    expect(new Set(events.map((event) => event.transaction)).size).toBeLessThan(50);
    const received = await db.execute<{ webhook_id: string; transaction: string }>(sql`
      select webhook_id, xmin::text as transaction from received_webhooks where webhook_id in ${reports.map((report) => report.webhookId)}`);
    expect(received.map((row) => row.webhook_id).sort()).toEqual(reports.map((report) => report.webhookId).sort());
    // Recorded by the very statements that paid.
    expect(new Set(received.map((row) => row.transaction))).toEqual(new Set(events.map((event) => event.transaction)));
    expect(await Promise.all(reports.map((report) => recordPayment(db, report)))).toEqual(reports.map(() => ({ kind: 'already-handled' })));
    for (const { order } of orders) expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'PAID', stockState: 'SOLD', paymentId: `pay_${order.orderId}` });
  });

  it('answers a duplicate, a second payment and a wrong amount that share a statement with a first payment each as such', async () => {
    const { order } = await pendingOrder();
    const { order: other } = await pendingOrder();
    const first = { paymentId: `pay_${randomUUID()}`, orderId: order.orderId, amountCents: 2_500, paidAt: new Date() };
    const second = { ...first, paymentId: `pay_${randomUUID()}` };
    const outcomes = await Promise.all([
      recordPayment(db, first),
      recordPayment(db, first),
      recordPayment(db, second),
      recordPayment(db, { paymentId: `pay_${randomUUID()}`, orderId: other.orderId, amountCents: 1, paidAt: new Date() }),
    ]);

    expect(outcomes).toEqual([
      { kind: 'paid' },
      { kind: 'duplicate' },
      { kind: 'refunding', refundId: expect.any(String), because: 'already-paid' },
      { kind: 'amount-mismatch', expectedCents: 2_500 },
    ]);
    expect(await countEvents(db, order.orderId, 'OrderPaid')).toBe(1);
    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'PAID', paymentId: first.paymentId });
    expect(await orderRow(db, other.orderId)).toMatchObject({ status: 'PENDING_PAYMENT', stockState: 'FROZEN' });
  });

  it('pays through the general path when its shared statement is chosen as a deadlock victim', async () => {
    const { order } = await pendingOrder();
    const { order: other } = await pendingOrder();
    const paymentId = `pay_${randomUUID()}`;
    const rolledBack = new Error('roll back the competing transaction');
    let outcome: Promise<PaymentOutcome> | undefined;
    // A competing transaction holds an uncommitted payment with the same id, so the shared statement,
    // having locked the order, waits on it; then the competitor asks for that order. The statement
    // waited first, so its deadlock check runs first and it is the one PostgreSQL aborts.
    await db
      .transaction(async (tx) => {
        await tx.execute(sql`insert into payments (id, order_id, amount_cents, received_at) values (${paymentId}, ${other.orderId}, 2500, now())`);
        outcome = recordPayment(db, { paymentId, orderId: order.orderId, amountCents: 2_500, paidAt: new Date() });
        await eventually('the shared statement to wait for the uncommitted payment', async () => {
          const waiting = await db.execute(sql`
            select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%with reported as%'`);
          return waiting.length > 0 ? true : undefined;
        });
        await tx.execute(sql`select id from orders where id = ${order.orderId} for update`);
        throw rolledBack;
      })
      .catch((error: unknown) => {
        if (error !== rolledBack) throw error;
      });

    await expect(outcome).resolves.toEqual({ kind: 'paid' });
    expect(await countEvents(db, order.orderId, 'OrderPaid')).toBe(1);
    expect(await orderRow(db, order.orderId)).toMatchObject({ status: 'PAID', paymentId });
  });

  it('runs the shared statement on sessions that plan it once instead of on every payment', async () => {
    for (let index = 0; index < 8; index++) {
      const { order } = await pendingOrder(1);
      expect(await recordPayment(db, { paymentId: `pay_${order.orderId}`, orderId: order.orderId, amountCents: 1_250, paidAt: new Date() })).toEqual({ kind: 'paid' });
    }
    // Prepared statements are per session: ask every session of the payment statement's pool.
    const sessions = paymentStatementSessions(db).$client;
    const reserved = await Promise.all(Array.from({ length: PAYMENT_STATEMENTS_IN_FLIGHT }, () => sessions.reserve()));
    try {
      const plans = (
        await Promise.all(
          reserved.map((session) => session<{ generic: number; custom: number }[]>`
            select coalesce(sum(generic_plans), 0)::int as generic, coalesce(sum(custom_plans), 0)::int as custom
            from pg_prepared_statements where statement like '%with reported as%'`),
        )
      ).map(([row]) => row!);
      expect(plans.reduce((sum, row) => sum + row.generic, 0)).toBeGreaterThanOrEqual(8);
      expect(plans.reduce((sum, row) => sum + row.custom, 0)).toBe(0);
    } finally {
      for (const session of reserved) session.release();
    }
  });

  it('wakes the relay once the payment has committed', async () => {
    const { order } = await pendingOrder();
    const notification = paymentNotification(order.orderId, 2_500);
    let wakeUps = 0;
    const listener = await db.$client.listen(OUTBOX_CHANNEL, () => wakeUps++);
    try {
      // Wake-ups are at most one per RELAY_WAKE_UP_EVERY_MS per process: the clock is moved past
      // the window of the previous tests' wake-ups rather than waited out.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + RELAY_WAKE_UP_EVERY_MS);
      try {
        expect(await recordPayment(db, { ...notification, paidAt: new Date(notification.paidAt) })).toEqual({ kind: 'paid' });
      } finally {
        vi.useRealTimers();
      }
      await waitFor(async () => wakeUps > 0, { what: 'a wake-up on the outbox channel after the payment committed', timeoutMs: 5_000 });
    } finally {
      await listener.unlisten();
    }
  });
});

it('the order API answers 405 for anything but a POST, saying what to send', async () => {
  const server = await serveHttp({ routes: paymentNotificationRoutes(db) });
  try {
    const response = await fetch(`${server.url}/api/payments/notify?probe=1`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.json()).toEqual({ error: 'method_not_allowed', message: 'GET is not allowed on /api/payments/notify; use POST.' });
  } finally {
    await server.close();
  }
});
