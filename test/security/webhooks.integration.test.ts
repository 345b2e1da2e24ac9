import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateWebhookSecret, paymentWebhookSecrets, signedHeaders, wmsWebhookSecrets } from '@/server/integrations/webhook-signature';
import { createOrder } from '@/server/orders/create-order';
import { createSku, orderRow, paymentNotification } from '@/server/orders/test-fixtures';
import { startOrderApi, type OrderApi } from '@/server/runtime/order-api';
import { createTestDatabase } from '@/test/database';

/**
 * Payment notifications and warehouse callbacks as a stranger would try them, over HTTP
 * against the order API as its composition root builds it: forged, stale, replayed and
 * signed with a rotated secret. Every refusal says what is wrong and leaves every row as it was.
 */

const { db, url } = await createTestDatabase();
let orderApi: OrderApi;
beforeAll(async () => {
  orderApi = await startOrderApi({ db, databaseUrl: url, simulators: false });
});
afterAll(() => orderApi.stop());
afterEach(() => vi.unstubAllEnvs());

/** A digest of every table's rows. */
async function fingerprint(): Promise<string> {
  const tables = await db.execute<{ name: string }>(sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`);
  const parts: string[] = [];
  for (const { name } of tables) {
    const [row] = await db.execute<{ digest: string | null }>(sql.raw(`select md5(string_agg(t::text, '|' order by t::text)) as digest from "${name}" t`));
    parts.push(`${name}:${row?.digest ?? '-'}`);
  }
  return parts.join(',');
}

async function post(route: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${orderApi.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, body: (await response.json()) as { error?: string; message?: string; alreadyHandled?: boolean } };
}

async function pendingOrder() {
  const sku = await createSku(db, { priceCents: 1_000 });
  return createOrder(db, { userId: 'user-security', items: [{ sku, quantity: 1 }] });
}

async function expectRefusedUnchanged(route: string, body: string, headers: Record<string, string>, message: RegExp) {
  const before = await fingerprint();
  const answer = await post(route, body, headers);
  expect(answer.status, JSON.stringify(answer.body)).toBe(401);
  expect(answer.body).toEqual({ error: 'invalid_signature', message: expect.stringMatching(message) });
  expect(await fingerprint(), 'a refused webhook changed rows').toBe(before);
}

describe('POST /api/payments/notify', () => {
  it('refuses a notification signed with a secret we do not hold, or the old home-made scheme', async () => {
    const order = await pendingOrder();
    const body = JSON.stringify(paymentNotification(order.orderId, order.totalCents));
    await expectRefusedUnchanged('/api/payments/notify', body, signedHeaders(generateWebhookSecret(), body), /no signature in webhook-signature matches a secret in PAYMENT_WEBHOOK_SECRET/);
    await expectRefusedUnchanged('/api/payments/notify', body, { 'x-signature': 'v1=00', 'x-signature-timestamp': String(Math.floor(Date.now() / 1000)) }, /^missing webhook-id, webhook-timestamp, webhook-signature headers/);
    expect((await orderRow(db, order.orderId)).status).toBe('PENDING_PAYMENT');
  });

  it('refuses a correctly signed notification with a stale timestamp, even under a fresh webhook-id', async () => {
    const order = await pendingOrder();
    const body = JSON.stringify(paymentNotification(order.orderId, order.totalCents));
    const headers = signedHeaders(paymentWebhookSecrets(), body, { id: `msg_fresh_${order.orderId}`, at: new Date(Date.now() - 10 * 60_000) });
    await expectRefusedUnchanged('/api/payments/notify', body, headers, /webhook-timestamp is \d+ s old, outside the 5-minute tolerance/);
  });

  it('refuses a signature of an unknown version and a truncated one', async () => {
    const order = await pendingOrder();
    const body = JSON.stringify(paymentNotification(order.orderId, order.totalCents));
    const headers = signedHeaders(paymentWebhookSecrets(), body);
    await expectRefusedUnchanged('/api/payments/notify', body, { ...headers, 'webhook-signature': headers['webhook-signature']!.replace('v1,', 'v2,') }, /holds no v1 signature/);
    await expectRefusedUnchanged('/api/payments/notify', body, { ...headers, 'webhook-signature': headers['webhook-signature']!.slice(0, -4) }, /matches a secret/);
  });

  it('answers a replayed webhook-id as already handled and acts on it once, whatever its body', async () => {
    const order = await pendingOrder();
    const first = JSON.stringify(paymentNotification(order.orderId, order.totalCents));
    const id = `msg_replay_${order.orderId}`;
    expect(await post('/api/payments/notify', first, signedHeaders(paymentWebhookSecrets(), first, { id }))).toMatchObject({ status: 200, body: { received: true } });
    expect((await orderRow(db, order.orderId)).status).toBe('PAID');

    const before = await fingerprint();
    // The same message delivered again, and the same id over another payment: a distinct payment would start a refund.
    const other = JSON.stringify(paymentNotification(order.orderId, order.totalCents));
    for (const body of [first, other]) {
      const replay = await post('/api/payments/notify', body, signedHeaders(paymentWebhookSecrets(), body, { id }));
      expect(replay).toMatchObject({ status: 200, body: { received: true, alreadyHandled: true } });
    }
    expect(await fingerprint(), 'a replayed webhook-id changed rows').toBe(before);
  });

  it('accepts a notification signed with either secret while PAYMENT_WEBHOOK_SECRET holds the old and the new, and only the new one after', async () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    vi.stubEnv('PAYMENT_WEBHOOK_SECRET', `${newSecret} ${oldSecret}`);
    for (const secret of [oldSecret, newSecret]) {
      const order = await pendingOrder();
      const body = JSON.stringify(paymentNotification(order.orderId, order.totalCents));
      expect((await post('/api/payments/notify', body, signedHeaders(secret, body))).status).toBe(200);
      expect((await orderRow(db, order.orderId)).status).toBe('PAID');
    }

    vi.stubEnv('PAYMENT_WEBHOOK_SECRET', newSecret);
    const order = await pendingOrder();
    const body = JSON.stringify(paymentNotification(order.orderId, order.totalCents));
    await expectRefusedUnchanged('/api/payments/notify', body, signedHeaders(oldSecret, body), /matches a secret in PAYMENT_WEBHOOK_SECRET/);
    expect((await post('/api/payments/notify', body, signedHeaders([oldSecret, newSecret], body))).status).toBe(200);
  });
});

describe('POST /api/wms/callback', () => {
  async function paidOrder() {
    const order = await pendingOrder();
    const body = JSON.stringify(paymentNotification(order.orderId, order.totalCents));
    expect((await post('/api/payments/notify', body, signedHeaders(paymentWebhookSecrets(), body))).status).toBe(200);
    return order;
  }
  const dispatch = (orderId: string) =>
    JSON.stringify({ type: 'shipment.dispatched', orderId, shipmentId: `shp_${orderId}`, carrier: 'DHL', trackingNumber: `TRK${orderId}`, dispatchedAt: new Date().toISOString() });

  it('refuses a forged or stale dispatch callback and ships nothing', async () => {
    const order = await paidOrder();
    const body = dispatch(order.orderId);
    await expectRefusedUnchanged('/api/wms/callback', body, signedHeaders(paymentWebhookSecrets(), body), /matches a secret in WMS_WEBHOOK_SECRET/);
    await expectRefusedUnchanged('/api/wms/callback', body, signedHeaders(wmsWebhookSecrets(), body, { at: new Date(Date.now() - 6 * 60_000) }), /outside the 5-minute tolerance/);
    expect((await orderRow(db, order.orderId)).status).toBe('PAID');
  });

  it('ships on the first delivery of a webhook-id and answers its replay as already handled, changing nothing', async () => {
    const order = await paidOrder();
    const body = dispatch(order.orderId);
    const id = `msg_dispatch_${order.orderId}`;
    expect(await post('/api/wms/callback', body, signedHeaders(wmsWebhookSecrets(), body, { id }))).toEqual({ status: 200, body: { received: true } });
    expect((await orderRow(db, order.orderId)).status).toBe('SHIPPED');

    const before = await fingerprint();
    const replays = await Promise.all([1, 2].map(() => post('/api/wms/callback', body, signedHeaders(wmsWebhookSecrets(), body, { id }))));
    for (const replay of replays) expect(replay).toEqual({ status: 200, body: { received: true, alreadyHandled: true } });
    expect(await fingerprint(), 'a replayed webhook-id changed rows').toBe(before);
  });

  it('keeps no record of a callback it refused, so the same webhook-id is acted on once the order can ship', async () => {
    const order = await pendingOrder();
    const body = dispatch(order.orderId);
    const id = `msg_early_${order.orderId}`;
    const before = await fingerprint();
    expect(await post('/api/wms/callback', body, signedHeaders(wmsWebhookSecrets(), body, { id }))).toMatchObject({ status: 409, body: { error: 'not_shippable' } });
    expect(await fingerprint()).toBe(before);

    const payment = JSON.stringify(paymentNotification(order.orderId, order.totalCents));
    expect((await post('/api/payments/notify', payment, signedHeaders(paymentWebhookSecrets(), payment))).status).toBe(200);
    expect(await post('/api/wms/callback', body, signedHeaders(wmsWebhookSecrets(), body, { id }))).toEqual({ status: 200, body: { received: true } });
    expect((await orderRow(db, order.orderId)).status).toBe('SHIPPED');
  });
});

it('`npm run order-api` refuses to start with a webhook secret that is not whsec_<base64>, such as the old repository one', () => {
  const run = spawnSync(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), 'server/cli/order-api.ts'], {
    env: { ...process.env, PAYMENT_WEBHOOK_SECRET: 'conveyor-dev-payment-secret', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(run.status).toBe(1);
  expect(run.stderr.trim()).toMatch(/^\[order-api\] PAYMENT_WEBHOOK_SECRET must be one or more space-separated secrets of the form whsec_<base64 of 24 to 64 bytes>; entry 1 of 1 is not/);
  expect(run.stderr).not.toContain('conveyor-dev-payment-secret');
});
