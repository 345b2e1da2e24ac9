import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiToken, listApiTokens, revokeApiToken } from '@/server/ops/api-tokens';
import { createSku, orderRow, stockOf } from '@/server/orders/test-fixtures';
import { recordPayment } from '@/server/orders/record-payment';
import { seedCatalog } from '@/server/orders/seed-catalog';
import { startPipeline, type PipelineHandle } from '@/server/pipeline';
import { startOrderApi, type OrderApi } from '@/server/runtime/order-api';
import { STOREFRONT_SCOPES, type ApiTokenScope } from '@/shared/api-token-scopes';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';

/**
 * The order API's doors for a storefront, the data team and the operator, tried over HTTP
 * against the order API process's own composition (startOrderApi), with small limits so
 * each bound is easy to cross.
 */
const { db, url } = await createTestDatabase({ max: 10 });
const TOKEN_CACHE_MS = 400;
const METRICS_TOKEN = 'storefront-security-test-metrics-token';
const MAX_BODY_BYTES = 4_096;
let api: OrderApi;
let pipeline: PipelineHandle;
let storefront: string;

beforeAll(async () => {
  api = await startOrderApi({
    db,
    databaseUrl: url,
    simulators: false,
    maxBodyBytes: MAX_BODY_BYTES,
    routes: { apiTokenCacheMs: TOKEN_CACHE_MS, storefrontLimits: { maxLines: 3, maxQuantity: 5, maxPaymentTimeoutMs: 60_000 }, metricsToken: METRICS_TOKEN },
  });
  // The relay alone, so events reach the log the feed reads.
  pipeline = await startPipeline({ db, consumers: [], ...fastPipelineOptions });
  storefront = (await issueApiToken(db, { name: 'web storefront', scopes: STOREFRONT_SCOPES })).token;
});
afterAll(async () => {
  await pipeline.stop();
  await api.stop();
});

const tokenWith = async (...scopes: ApiTokenScope[]) => (await issueApiToken(db, { name: `token with ${scopes.join(' ')}`, scopes })).token;

async function post(path: string, body: unknown, token: string | null) {
  const response = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { error?: string; message?: string; orderId?: string } };
}

/** Every row a storefront request could write: compared before and after a refused one. */
async function storefrontRows() {
  const [counts] = await db.execute(sql`
    select (select count(*) from orders)::int as orders, (select count(*) from order_items)::int as items,
           (select count(*) from refunds)::int as refunds, (select count(*) from outbox)::int as outbox,
           (select coalesce(sum(available), 0) from skus)::int as available`);
  return counts;
}

async function expectNothingChanged(refused: () => Promise<void>) {
  // The relay is still moving earlier tests' due events out of the outbox: let it finish, so only the refused request could change a count.
  await waitFor(async () => {
    const [due] = await db.execute<{ n: number }>(sql`select count(*)::int as n from outbox where deliver_at <= now()`);
    return due!.n === 0;
  }, { what: 'the relay to move the due outbox rows' });
  const before = await storefrontRows();
  await refused();
  expect(await storefrontRows()).toEqual(before);
}

async function paidOrder(userId: string) {
  const sku = await createSku(db, { stock: 10, priceCents: 1_000 });
  const created = await post('/api/orders', { userId, contactPhone: '+15551234567', items: [{ sku, quantity: 1 }] }, storefront);
  expect(created.status).toBe(201);
  const orderId = created.body.orderId!;
  await recordPayment(db, { paymentId: `pay_${randomUUID()}`, orderId, amountCents: 1_000, paidAt: new Date() });
  expect(await orderRow(db, orderId)).toMatchObject({ status: 'PAID' });
  return { orderId, sku };
}

describe('the storefront API', () => {
  it('refuses an order without a token, with an unknown token and with a token lacking orders:create, and reserves nothing', async () => {
    const sku = await createSku(db, { stock: 5 });
    const order = { userId: 'shopper-anon', items: [{ sku, quantity: 2 }] };
    const feedOnly = await tokenWith('feed:read', 'orders:refund');
    await expectNothingChanged(async () => {
      const anonymous = await post('/api/orders', order, null);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('Authorization: Bearer <token>') });
      expect((await post('/api/orders', order, 'cvf_made-up-token-of-someone-guessing')).status).toBe(401);
      const lacking = await post('/api/orders', order, feedOnly);
      expect(lacking.status).toBe(403);
      expect(lacking.body).toMatchObject({ error: 'forbidden', message: expect.stringContaining('lacks the orders:create scope') });
    });
    expect(await stockOf(db, sku)).toEqual({ available: 5, frozen: 0, sold: 0 });
    expect((await post('/api/orders', order, storefront)).status).toBe(201);
    expect(await stockOf(db, sku)).toEqual({ available: 3, frozen: 2, sold: 0 });
  });

  it('refuses a refund without a token or without orders:refund, and for an order of another customer than the one vouched for; the order stays as it was', async () => {
    const { orderId } = await paidOrder('owner-1');
    const createOnly = await tokenWith('orders:create');
    await expectNothingChanged(async () => {
      expect((await post(`/api/orders/${orderId}/refund`, { userId: 'owner-1', reason: 'never arrived' }, null)).status).toBe(401);
      const lacking = await post(`/api/orders/${orderId}/refund`, { userId: 'owner-1', reason: 'never arrived' }, createOnly);
      expect(lacking.status).toBe(403);
      expect(lacking.body.message).toContain('lacks the orders:refund scope');
      const someoneElse = await post(`/api/orders/${orderId}/refund`, { userId: 'intruder-2', reason: 'I want their money' }, storefront);
      expect(someoneElse.status).toBe(403);
      expect(someoneElse.body).toMatchObject({ error: 'forbidden', message: expect.stringContaining('belongs to another customer') });
      const unnamed = await post(`/api/orders/${orderId}/refund`, { reason: 'who am I' }, storefront);
      expect(unnamed.status).toBe(400);
      expect(unnamed.body.message).toContain('userId');
    });
    expect(await orderRow(db, orderId)).toMatchObject({ status: 'PAID' });
    const own = await post(`/api/orders/${orderId}/refund`, { userId: 'owner-1', reason: 'never arrived' }, storefront);
    expect(own.status).toBe(202);
    expect(await orderRow(db, orderId)).toMatchObject({ status: 'REFUNDING' });
  });

  it('stops accepting a revoked token within the token cache time', async () => {
    const { token, id } = await issueApiToken(db, { name: 'soon revoked', scopes: ['orders:create'] });
    const sku = await createSku(db, { stock: 100 });
    const order = { userId: 'shopper-revoked', items: [{ sku, quantity: 1 }] };
    expect((await post('/api/orders', order, token)).status).toBe(201);
    await revokeApiToken(db, { tokenId: id, actor: 'admin@conveyor.test' });
    const revokedAt = Date.now();
    await waitFor(async () => (await post('/api/orders', order, token)).status === 401, { timeoutMs: TOKEN_CACHE_MS + 2_000, what: 'the revoked token to be refused' });
    expect(Date.now() - revokedAt).toBeLessThan(TOKEN_CACHE_MS + 1_000);
    await expectNothingChanged(async () => expect((await post('/api/orders', order, token)).status).toBe(401));
  });

  it('refuses orders past the configured bounds with 400 naming the bound, and reserves nothing', async () => {
    const skus = await Promise.all([1, 2, 3, 4].map(() => createSku(db, { stock: 50 })));
    const cases: [string, unknown, string][] = [
      ['too many lines', { userId: 'bounded', items: skus.map((sku) => ({ sku, quantity: 1 })) }, 'at most 3 lines per order (STOREFRONT_MAX_LINES)'],
      ['too many units', { userId: 'bounded', items: [{ sku: skus[0], quantity: 6 }] }, 'at most 5 units of one SKU per order (STOREFRONT_MAX_QUANTITY)'],
      ['too long a payment deadline', { userId: 'bounded', items: [{ sku: skus[0], quantity: 1 }], paymentTimeoutMs: 60_001 }, 'at most 60000 ms (STOREFRONT_MAX_PAYMENT_TIMEOUT_MS)'],
      ['a userId past 200 characters', { userId: 'u'.repeat(201), items: [{ sku: skus[0], quantity: 1 }] }, 'userId'],
    ];
    await expectNothingChanged(async () => {
      for (const [name, body, bound] of cases) {
        const answer = await post('/api/orders', body, storefront);
        expect(answer.status, name).toBe(400);
        expect(answer.body.message, name).toContain(bound);
      }
    });
    expect((await post('/api/orders', { userId: 'bounded', items: skus.slice(0, 3).map((sku) => ({ sku, quantity: 5 })), paymentTimeoutMs: 60_000 }, storefront)).status).toBe(201);
  });

  it('refuses a body over MAX_BODY_BYTES with 413, by its declared length or, chunked, as soon as it passes the limit', async () => {
    const sku = await createSku(db, { stock: 5 });
    const padded = JSON.stringify({ userId: 'big', items: [{ sku, quantity: 1 }], padding: 'x'.repeat(MAX_BODY_BYTES) });
    await expectNothingChanged(async () => {
      const declared = await post('/api/orders', padded, storefront);
      expect(declared.status).toBe(413);
      expect(declared.body).toMatchObject({ error: 'body_too_large', message: `The request body is larger than ${MAX_BODY_BYTES} bytes; send a smaller one.` });

      // Chunked, no content-length: the answer comes while the client is still sending, so the body was never read whole.
      const chunked = await new Promise<{ status: number; sentBytes: number }>((resolve, reject) => {
        let sentBytes = 0;
        const outgoing = httpRequest(`${api.url}/api/orders`, { method: 'POST', headers: { authorization: `Bearer ${storefront}`, 'transfer-encoding': 'chunked' } }, (response) => {
          resolve({ status: response.statusCode!, sentBytes });
          outgoing.destroy();
        });
        outgoing.on('error', (error) => (sentBytes > MAX_BODY_BYTES ? undefined : reject(error)));
        const timer = setInterval(() => {
          if (outgoing.destroyed) return clearInterval(timer);
          outgoing.write('x'.repeat(1_024));
          sentBytes += 1_024;
        }, 5);
      });
      expect(chunked.status).toBe(413);
      expect(chunked.sentBytes).toBeLessThan(MAX_BODY_BYTES * 16);
    });
  });
});

describe('the event feed', () => {
  it('leaves phone numbers out unless the token has feed:pii, and refuses a token without feed:read', async () => {
    const { orderId } = await paidOrder('feed-reader-customer');
    const readFeed = async (token: string) => {
      const response = await fetch(`${api.url}/api/feed/events?limit=1000`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, text: await response.text() };
    };
    const paidEvent = async (token: string) => {
      const found = await waitFor(
        async () => {
          const page = await readFeed(token);
          expect(page.status).toBe(200);
          return page.text
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as { type: string; key: string; payload: Record<string, unknown> })
            .find((event) => event.type === 'OrderPaid' && event.key === orderId);
        },
        { what: 'OrderPaid in the feed' },
      );
      return found.payload;
    };
    const plain = await paidEvent(await tokenWith('feed:read'));
    expect(plain).toMatchObject({ orderId, userId: 'feed-reader-customer' });
    expect(plain).not.toHaveProperty('contactPhone');
    expect(await paidEvent(await tokenWith('feed:read', 'feed:pii'))).toMatchObject({ orderId, contactPhone: '+15551234567' });

    const piiOnly = await readFeed(await tokenWith('feed:pii'));
    expect(piiOnly.status).toBe(403);
    expect(piiOnly.text).toContain('lacks the feed:read scope');
    expect((await readFeed(storefront)).status).toBe(403);
  });
});

describe('metrics and health', () => {
  it('serves /api/metrics only with the metrics token, and tells anonymous health callers only ok', async () => {
    const metrics = (headers: Record<string, string> = {}) => fetch(`${api.url}/api/metrics`, { headers });
    const anonymous = await metrics();
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('METRICS_TOKEN') });
    expect((await metrics({ authorization: 'Bearer not-the-metrics-token' })).status).toBe(401);
    expect((await metrics({ authorization: `Bearer ${storefront}` })).status).toBe(401);
    const operator = await metrics({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(operator.status).toBe(200);
    expect(await operator.text()).toContain('conveyor_http_request_duration_seconds');

    const health = (headers: Record<string, string> = {}) => fetch(`${api.url}/api/health`, { headers }).then(async (response) => ({ status: response.status, body: await response.json() }));
    expect(await health()).toEqual({ status: 200, body: { ok: true } });
    expect(await health({ authorization: `Bearer ${METRICS_TOKEN}` })).toEqual({ status: 200, body: { ok: true, database: 'reachable', migrations: 'current' } });
  });
});

describe('tokens in demo mode', () => {
  it('registers STOREFRONT_TOKEN with the storefront scopes only when asked to (the CLI asks in demo mode only)', async () => {
    const chosen = `cvf_demo-${randomUUID()}`;
    const sku = await createSku(db, { stock: 5 });
    const order = { userId: 'demo-shopper', items: [{ sku, quantity: 1 }] };
    expect((await post('/api/orders', order, chosen)).status).toBe(401);
    const demoApi = await startOrderApi({ db, databaseUrl: url, simulators: false, demoStorefrontToken: chosen });
    try {
      const response = await fetch(`${demoApi.url}/api/orders`, { method: 'POST', headers: { authorization: `Bearer ${chosen}` }, body: JSON.stringify(order) });
      expect(response.status).toBe(201);
      const feed = await fetch(`${demoApi.url}/api/feed/events`, { headers: { authorization: `Bearer ${chosen}` } });
      expect(feed.status).toBe(403);
    } finally {
      await demoApi.stop();
    }
  });

  it('gives the demo customers a token of their own, with which they order, revoked when the order API stops', async () => {
    await seedCatalog(db);
    const demoApi = await startOrderApi({ db, databaseUrl: url, simulators: false, demoOrdersPerMinute: 1_200, routes: { apiTokenCacheMs: 0 } });
    try {
      await waitFor(async () => (await db.execute(sql`select 1 from orders where user_id like 'demo-customer-%' limit 1`)).length > 0, { what: 'a demo customer to order' });
    } finally {
      await demoApi.stop();
    }
    const demoTokens = (await listApiTokens(db)).filter((token) => token.name === 'demo customers');
    expect(demoTokens).toHaveLength(1);
    expect(demoTokens[0]).toMatchObject({ scopes: STOREFRONT_SCOPES, createdBy: 'system:demo-traffic', revokedBy: 'system:demo-traffic' });
  });
});
