import { afterAll, describe, expect, it } from 'vitest';
import type { OrderApiSurface } from '@/server/http/order-api-routes';
import { createTestDatabase } from '@/test/database';
import { startOrderApi, type OrderApi } from './order-api';

const { db, url } = await createTestDatabase({ max: 6 });
const started: OrderApi[] = [];
afterAll(() => Promise.all(started.map((api) => api.stop())));

async function orderApiServing(serves: OrderApiSurface[]) {
  const api = await startOrderApi({ db, databaseUrl: url, routes: { serves } });
  started.push(api);
  return api;
}

describe('an order API serving part of the surface (ORDER_API_SERVES)', () => {
  it('a flash-sale process answers attempts, health and metrics, and nothing of the shop', async () => {
    const api = await orderApiServing(['sales']);
    // 401, not 404: the attempts route is there and asks for the storefront token.
    expect((await fetch(`${api.url}/api/sales/sale_x/attempts`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${api.url}/api/health`)).status).toBe(200);
    for (const path of ['/api/orders', '/api/payments/notify', '/api/wms/callback']) {
      expect((await fetch(`${api.url}${path}`, { method: 'POST', body: '{}' })).status, path).toBe(404);
    }
  });

  it('a shop process serves checkout and the callbacks but no sale attempts', async () => {
    const api = await orderApiServing(['storefront', 'payments', 'warehouse', 'feed']);
    expect((await fetch(`${api.url}/api/orders`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${api.url}/api/payments/notify`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${api.url}/api/sales/sale_x/attempts`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
