import { createHmac } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase, type Database } from '@/db/client';
import { paymentWebhookSecrets, signedHeaders, wmsWebhookSecrets } from '@/server/integrations/webhook-signature';
import { startOrderApi, type OrderApi } from '@/server/runtime/order-api';
import { DATABASE_UNAVAILABLE_MESSAGE } from '@/server/errors';

/** A port nothing listens on: connecting is refused at once, as when PostgreSQL is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const AUTH_SECRET = 'database-unavailable-test-secret-0123456789';
const METRICS_TOKEN = 'database-unavailable-test-metrics-token';

/** A well-signed session cookie, so that better-auth goes to the database to look the session up. */
function sessionCookie(token = 'session-token-of-a-signed-in-user'): string {
  const signature = createHmac('sha256', AUTH_SECRET).update(token).digest('base64');
  return `better-auth.session_token=${encodeURIComponent(`${token}.${signature}`)}`;
}

type Route = (request: Request, context?: unknown) => Promise<Response>;
let routes: Record<string, Route>;
let orderApiDb: Database;
let orderApi: OrderApi;

beforeAll(async () => {
  // The console routes' process-wide database (db/client.ts getDatabase) and the order API's point at the dead server.
  process.env.DATABASE_URL = `postgres://postgres:x@127.0.0.1:${await closedPort()}/conveyor`;
  process.env.AUTH_SECRET = AUTH_SECRET;
  process.env.METRICS_TOKEN = METRICS_TOKEN;
  orderApiDb = createDatabase(process.env.DATABASE_URL, { max: 2 });
  orderApi = await startOrderApi({ db: orderApiDb, databaseUrl: process.env.DATABASE_URL, simulators: {}, routes: { metricsToken: METRICS_TOKEN } });
  routes = {
    trpc: (await import('@/app/api/trpc/[trpc]/route')).GET as Route,
    health: (await import('@/app/api/health/route')).GET as Route,
    signIn: (await import('@/app/api/auth/[...all]/route')).POST as Route,
  };
});
afterAll(async () => {
  await orderApi.stop();
  await closeDatabase(orderApiDb);
});

const url = (path: string) => `http://127.0.0.1:3000${path}`;
const api = (path: string) => `${orderApi.url}${path}`;
const post = (target: string, body: unknown, headers: Record<string, string> = {}) =>
  new Request(target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function expectUnavailable(response: Response) {
  const body = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(503);
  return body as Record<string, unknown>;
}

describe('while the database is down', () => {
  it('the order API (storefront, webhooks, feed, simulators) and sign-in answer 503 with a message, not 500', async () => {
    const payment = JSON.stringify({ type: 'payment.succeeded', paymentId: 'pay_1', orderId: 'ord_1', amountCents: 100, paidAt: new Date().toISOString() });
    const dispatch = JSON.stringify({ type: 'shipment.dispatched', orderId: 'ord_1', shipmentId: 'shp_1', carrier: 'ups', trackingNumber: '1Z', dispatchedAt: new Date().toISOString() });
    const requests: [string, Promise<Response>][] = [
      // A token to look up: without one the storefront answers 401 before it needs the database.
      ['POST /api/orders', fetch(post(api('/api/orders'), { userId: 'u1', items: [{ sku: 'SKU-1', quantity: 1 }] }, { authorization: 'Bearer some-token' }))],
      ['POST /api/orders/:id/refund', fetch(post(api('/api/orders/ord_1/refund'), { userId: 'u1', reason: 'changed my mind' }, { authorization: 'Bearer some-token' }))],
      ['POST /api/payments/notify', fetch(post(api('/api/payments/notify'), payment, signedHeaders(paymentWebhookSecrets(), payment)))],
      ['POST /api/wms/callback', fetch(post(api('/api/wms/callback'), dispatch, signedHeaders(wmsWebhookSecrets(), dispatch)))],
      ['GET /api/feed/events', fetch(new Request(api('/api/feed/events'), { headers: { authorization: 'Bearer some-token' } }))],
      ['POST /api/sim/payment/payments', fetch(post(api('/api/sim/payment/payments'), { orderId: 'ord_1', amountCents: 100, notifyUrl: api('/api/payments/notify') }))],
      ['POST /api/auth/sign-in/email', routes.signIn!(post(url('/api/auth/sign-in/email'), { email: 'oncall@example.test', password: 'correct horse' }, { origin: url('') }))],
    ];
    for (const [name, response] of requests) {
      const body = await expectUnavailable(await response).catch((error: Error) => {
        throw new Error(`${name}: ${error.message}`);
      });
      expect(body, name).toEqual({ error: 'database_unavailable', message: DATABASE_UNAVAILABLE_MESSAGE });
    }
  });

  it('tRPC answers 503 SERVICE_UNAVAILABLE with the same message', async () => {
    const response = await routes.trpc!(new Request(url('/api/trpc/session.me'), { headers: { cookie: sessionCookie() } }));
    const body = await expectUnavailable(response);
    expect(JSON.stringify(body)).toContain(DATABASE_UNAVAILABLE_MESSAGE);
    expect(JSON.stringify(body)).toContain('SERVICE_UNAVAILABLE');
  });

  it('a procedure whose queries meet the outage, query or audited mutation, fails with SERVICE_UNAVAILABLE', async () => {
    const { createCaller } = await import('@/server/trpc/root');
    const { getDatabase } = await import('@/db/client');
    const caller = createCaller({ db: getDatabase(), actor: { id: 'user-oncall', email: 'oncall@outage.test', role: 'oncall' } });
    const unavailable = { code: 'SERVICE_UNAVAILABLE', message: DATABASE_UNAVAILABLE_MESSAGE };
    await expect(caller.queues.overview()).rejects.toMatchObject(unavailable);
    await expect(caller.deadLetters.discard({ ids: [1], reason: 'outage test' })).rejects.toMatchObject(unavailable);
  });

  it('/api/health of the console and of the order API answers 503, says what is wrong in words to the metrics token, and only not ok to anyone else', async () => {
    const operator = { authorization: `Bearer ${METRICS_TOKEN}` };
    for (const response of [await routes.health!(new Request(url('/api/health'), { headers: operator })), await fetch(api('/api/health'), { headers: operator })]) {
      const body = await expectUnavailable(response);
      expect(body).toMatchObject({ ok: false, database: 'unreachable' });
      expect(body.message).toMatch(/^The database is not reachable \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)\. Check that PostgreSQL is running/);
    }
    for (const response of [await routes.health!(new Request(url('/api/health'), { headers: { cookie: sessionCookie() } })), await fetch(api('/api/health'))]) {
      expect(await expectUnavailable(response)).toEqual({ ok: false });
    }
  });
});
