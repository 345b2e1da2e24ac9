import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku, stockOf } from '@/server/orders/test-fixtures';
import { createApiTokenAuthenticator, issueApiToken } from '@/server/ops/api-tokens';
import { STOREFRONT_SCOPES } from '@/shared/api-token-scopes';
import { createTestDatabase } from '@/test/database';
import { serveHttp, type ServedHttp } from './serve-http';
import { storefrontRoutes } from './storefront';

const { db } = await createTestDatabase({ max: 4 });
let server: ServedHttp;
let storefrontToken: string;
beforeAll(async () => {
  server = await serveHttp({ routes: storefrontRoutes(db, createApiTokenAuthenticator(db, { cacheMs: 5_000 })) });
  ({ token: storefrontToken } = await issueApiToken(db, { name: 'web storefront', scopes: STOREFRONT_SCOPES }));
});
afterAll(() => server.close());

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${storefrontToken}` }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('the storefront endpoints', () => {
  it('create an order: 201 with its id, total and payment deadline, stock frozen', async () => {
    const sku = await createSku(db, { stock: 5, priceCents: 700 });
    const response = await post('/api/orders', { userId: 'shopper-1', items: [{ sku, quantity: 2 }] });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ status: 'PENDING_PAYMENT', totalCents: 1_400 });
    expect(await stockOf(db, sku)).toEqual({ available: 3, frozen: 2, sold: 0 });
  });

  it('refuse more than is in stock with 409, naming each shortage, and reserve nothing', async () => {
    const sku = await createSku(db, { stock: 1 });
    const response = await post('/api/orders', { userId: 'shopper-2', items: [{ sku, quantity: 3 }] });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: 'insufficient_stock', shortages: [{ sku, requested: 3, available: 1 }] });
    expect(await stockOf(db, sku)).toEqual({ available: 1, frozen: 0, sold: 0 });
  });

  it('refuse a body that is not an order with 400 saying which field is wrong', async () => {
    expect(await (await post('/api/orders', 'not json')).json()).toEqual({ error: 'malformed_body', message: 'body is not JSON' });
    const response = await post('/api/orders', { userId: 'shopper-3', items: [] });
    expect(response.status).toBe(400);
    expect((await response.json()) as { message: string }).toMatchObject({ message: expect.stringContaining('items') });
  });

  it('answer a refund request for an order that does not exist with 404', async () => {
    const response = await post('/api/orders/ord_missing/refund', { userId: 'shopper-4', reason: 'never arrived' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not_found', message: 'Order ord_missing does not exist.' });
  });
});
