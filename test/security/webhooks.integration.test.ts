import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { eq, sql } from 'drizzle-orm';
import { freePort } from '@/db/embedded';
import { simPayments, simShipments } from '@/db/schema';
import { serveHttp, type ServedHttp } from '@/server/http/serve-http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateWebhookSecret, paymentWebhookSecrets, signedHeaders, wmsWebhookSecrets } from '@/server/integrations/webhook-signature';
import { createOrder } from '@/server/orders/create-order';
import { createSku, eventually, orderRow, paymentNotification } from '@/server/orders/test-fixtures';
import { startOrderApi, type OrderApi, type OrderApiSimulatorOptions } from '@/server/runtime/order-api';
import { createCaller } from '@/server/trpc/root';
import { createTestDatabase, provisionTestAppRole } from '@/test/database';

/**
 * Payment notifications and warehouse callbacks as a stranger would try them, over HTTP
 * against the order API as its composition root builds it: forged, stale, replayed and
 * signed with a rotated secret; and the simulators, which must not stand in for a real third
 * party, call back anywhere but the order API, or redeliver forever. Every refusal says what
 * is wrong and leaves every row as it was.
 */

const testDatabase = await createTestDatabase();
const { db, url } = testDatabase;
// Production mode, as an operator runs it, connects as a role that is no superuser.
const appUrl = await provisionTestAppRole(testDatabase);
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
    // Demo mode, so it is the secret's form that is refused (production refuses a repository value before that).
    env: { ...process.env, DEMO: 'true', PAYMENT_WEBHOOK_SECRET: 'conveyor-dev-payment-secret', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(run.status).toBe(1);
  expect(run.stderr.trim()).toMatch(/^\[order-api\] PAYMENT_WEBHOOK_SECRET must be one or more space-separated secrets of the form whsec_<base64 of 24 to 64 bytes>; entry 1 of 1 is not/);
  expect(run.stderr).not.toContain('conveyor-dev-payment-secret');
});

describe('the third-party simulators', () => {
  const tsx = path.resolve('node_modules/tsx/dist/cli.mjs');
  let withSimulators: OrderApi;
  let elsewhere: ServedHttp;
  let elsewhereRequests = 0;
  const simulatorOptions: OrderApiSimulatorOptions = {
    deliverEveryMs: 20,
    wmsDispatchDelayMs: 0,
    redeliveryBackoff: { baseMs: 20, maxMs: 40 },
    redeliveryGivesUpAfterMs: 300,
  };
  beforeAll(async () => {
    withSimulators = await startOrderApi({ db, databaseUrl: url, simulators: simulatorOptions });
    // A host that is not the order API, e.g. the console or an attacker's: it must never be called.
    elsewhere = await serveHttp({
      prefixes: {
        '/': async () => {
          elsewhereRequests++;
          return Response.json({ ok: true });
        },
      },
    });
  });
  afterAll(async () => {
    await withSimulators.stop();
    await elsewhere.close();
  });

  const postJson = async (target: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('are not served by an order API started without them: an anonymous payment pays nothing', async () => {
    const order = await pendingOrder();
    const before = await fingerprint();
    const attempt = await postJson(`${orderApi.url}/api/sim/payment/payments`, { orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${orderApi.url}/api/payments/notify` }, { 'idempotency-key': order.orderId });
    expect(attempt.status).toBe(404);
    expect(await fingerprint()).toBe(before);
  });

  it('refuse a notifyUrl or callbackUrl off the order API with 400, calling nothing and storing nothing', async () => {
    const order = await pendingOrder();
    const before = await fingerprint();
    const payment = await postJson(
      `${withSimulators.url}/api/sim/payment/payments`,
      { orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${elsewhere.url}/api/payments/notify` },
      { 'idempotency-key': `elsewhere:${order.orderId}` },
    );
    expect(payment).toEqual({ status: 400, body: { error: 'bad_request', message: expect.stringMatching(/^notifyUrl must be on the order API's own origin \(http:\/\/127\.0\.0\.1:\d+\)/) } });
    const shipment = await postJson(`${withSimulators.url}/api/sim/wms/shipments`, { orderId: order.orderId, items: [{ sku: 'SKU-A', quantity: 1 }], callbackUrl: `${elsewhere.url}/api/wms/callback` });
    expect(shipment).toEqual({ status: 400, body: { error: 'bad_request', message: expect.stringMatching(/^callbackUrl must be on the order API's own origin/) } });
    expect(await fingerprint()).toBe(before);
    expect(elsewhereRequests).toBe(0);
  });

  it('give up redelivering a notification and a callback after the bounded schedule, and say what they stopped on', async () => {
    const order = await pendingOrder();
    const created = await postJson(
      `${withSimulators.url}/api/sim/payment/payments`,
      { orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${withSimulators.url}/api/nowhere` },
      { 'idempotency-key': `gives-up:${order.orderId}` },
    );
    expect(created.status).toBe(201);
    await postJson(`${withSimulators.url}/api/sim/wms/shipments`, { orderId: order.orderId, items: [{ sku: 'SKU-A', quantity: 1 }], callbackUrl: `${withSimulators.url}/api/nowhere` });

    const notification = await eventually('the payment notification to be given up', async () => {
      const givenUp = (await (await fetch(`${withSimulators.url}/api/sim/payment/notifications/given-up`)).json()) as { paymentId: string; attempts: number; lastError: string }[];
      return givenUp.find((found) => found.paymentId === created.body.paymentId);
    });
    expect(notification.attempts).toBeGreaterThan(1);
    expect(notification.lastError).toMatch(/^HTTP 404/);
    const callback = await eventually('the dispatch callback to be given up', async () => {
      const givenUp = (await (await fetch(`${withSimulators.url}/api/sim/wms/callbacks/given-up`)).json()) as { orderId: string; attempts: number; lastError: string }[];
      return givenUp.find((found) => found.orderId === order.orderId);
    });
    expect(callback.attempts).toBeGreaterThan(1);
    expect(callback.lastError).toMatch(/^HTTP 404/);

    // Nothing is scheduled any more: further delivery rounds leave both where they stopped.
    await withSimulators.simulators!.deliverDue();
    const [payment] = await db.select().from(simPayments).where(eq(simPayments.id, String(created.body.paymentId)));
    expect(payment).toMatchObject({ nextNotifyAt: null, notifyAttempts: notification.attempts, notifiedAt: null });
    const [shipment] = await db.select().from(simShipments).where(eq(simShipments.orderId, order.orderId));
    expect(shipment).toMatchObject({ nextCallbackAt: null, callbackAttempts: callback.attempts });

    // The console's Third parties screen lists both.
    const viewer = createCaller({ db, actor: { id: 'viewer-given-up', email: 'viewer@given-up.test', role: 'viewer' } });
    const shown = await viewer.thirdParties.givenUp();
    expect(shown.notifications).toContainEqual(expect.objectContaining({ paymentId: created.body.paymentId, orderId: order.orderId, attempts: notification.attempts }));
    expect(shown.callbacks).toContainEqual(expect.objectContaining({ orderId: order.orderId, attempts: callback.attempts, lastError: expect.stringMatching(/^HTTP 404/) }));
  });

  it('are not served in place of a third party whose *_URL names another system', async () => {
    vi.stubEnv('PAYMENT_PROVIDER_URL', 'https://payments.example.com/v1');
    const api = await startOrderApi({ db, databaseUrl: url, simulators: simulatorOptions });
    try {
      expect(api.simulators!.served).toEqual(['wms', 'logistics', 'sms']);
      const order = await pendingOrder();
      const before = await fingerprint();
      const attempt = await postJson(`${api.url}/api/sim/payment/payments`, { orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${api.url}/api/payments/notify` }, { 'idempotency-key': order.orderId });
      expect(attempt).toEqual({ status: 404, body: { error: 'not_found', message: 'the payment simulator is not served here: this deployment is configured with the real payment third party' } });
      expect(await fingerprint()).toBe(before);
    } finally {
      await api.stop();
    }
  });

  it('`npm run order-api` outside demo mode serves none unless SIMULATORS=on, and then none a *_URL replaces', async () => {
    const secrets = { PAYMENT_WEBHOOK_SECRET: generateWebhookSecret(), WMS_WEBHOOK_SECRET: generateWebhookSecret() };
    async function servedBy(env: Record<string, string>): Promise<unknown> {
      const child = spawn(process.execPath, [tsx, 'server/cli/order-api.ts'], {
        env: { ...process.env, DATABASE_URL: appUrl, DEMO: 'false', ...secrets, ORDER_API_PORT: String(await freePort()), ORDER_API_HOST: '127.0.0.1', SIMULATORS: '', ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        for await (const line of createInterface({ input: child.stdout! })) {
          if (line.startsWith('{"orderApi"')) return (JSON.parse(line) as { simulators: unknown }).simulators;
        }
        throw new Error('npm run order-api exited without serving');
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    }
    expect(await servedBy({})).toEqual([]);
    expect(await servedBy({ SIMULATORS: 'on', WMS_URL: 'https://wms.example.com', SMS_GATEWAY_URL: 'https://sms.example.com' })).toEqual(['payment', 'logistics']);
  });
});
