import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpLatencyMinutes, skus } from '@/db/schema';
import { orderApiRoutes } from '@/server/http/order-api-routes';
import { serveHttp } from '@/server/http/serve-http';
import { createOrder } from '@/server/orders/create-order';
import { createSku } from '@/server/orders/test-fixtures';
import { createCaller } from '@/server/trpc/root';
import { createTestDatabase } from '@/test/database';
import { startLatencyRecorder } from './latency-minutes';
import { PAYMENT_NOTIFY_ROUTE } from './overview';
import { sampleOverview } from './overview-state';
import { raiseAlert } from './raise-alert';
import { watchInvariants } from './watch-invariants';

const { db } = await createTestDatabase();
const viewer = createCaller({ db, actor: { id: 'viewer-1', email: 'viewer@overview.test', role: 'viewer' } });
const tileOf = async (key: string) => {
  const { tiles } = await viewer.overview.get();
  return tiles.find((tile) => tile.key === key)!;
};

describe('the Overview', () => {
  it('on a quiet system says nothing needs a look, with every figure green or informational', async () => {
    const { tiles } = await viewer.overview.get();
    expect(tiles.map((tile) => tile.key)).toEqual(
      expect.arrayContaining(['orders-created', 'orders-paid', 'payment-latency', 'lag', 'dead-letters', 'retrying', 'alerts', 'approvals', 'reconciliation', 'invariants', 'third-party-payment']),
    );
    expect(tiles.filter((tile) => tile.status === 'bad' || tile.status === 'warn')).toEqual([]);
    expect(tiles.every((tile) => tile.series.length === 60 && tile.href.startsWith('/'))).toBe(true);
  });

  it('counts orders created this minute, and turns red on a critical alert and an invariant violation', async () => {
    const sku = await createSku(db, { stock: 5 });
    await createOrder(db, { userId: 'overview-shopper', items: [{ sku, quantity: 1 }] });
    expect((await tileOf('orders-created')).series.at(-1)).toBe(1);

    await raiseAlert(db, { kind: 'refund_failed', severity: 'critical', dedupeKey: 'overview:refund', title: 'Refund failed' });
    await db.update(skus).set({ available: 40 }).where(eq(skus.sku, sku));
    await watchInvariants(db);
    expect(await tileOf('alerts')).toMatchObject({ status: 'bad', value: 2, detail: '2 critical' });
    expect(await tileOf('invariants')).toMatchObject({ status: 'bad', value: 1, href: '/alerts' });
    expect((await viewer.overview.get()).tiles.filter((tile) => tile.status === 'bad').map((tile) => tile.key).sort()).toEqual(['alerts', 'invariants']);
  });

  it('draws state figures from the minute samples the worker writes', async () => {
    await sampleOverview(db);
    const invariants = await tileOf('invariants');
    expect(invariants.series.at(-1)).toBe(1);
    expect(invariants.series.slice(0, -1).every((value) => value === null)).toBe(true);
    // Sampling twice in a minute keeps one point.
    await sampleOverview(db);
    const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from overview_samples where metric = 'invariant_violations'`);
    expect(row!.n).toBe(1);
  });

  describe('payment notification latency', () => {
    let served: Awaited<ReturnType<typeof serveHttp>>;
    beforeAll(async () => {
      served = await serveHttp({ routes: orderApiRoutes(db) });
    });
    afterAll(() => served?.close());

    it('comes from the order API histogram, copied per minute into the database', async () => {
      const recorder = startLatencyRecorder({ db, routes: [PAYMENT_NOTIFY_ROUTE], everyMs: 60_000 });
      for (let i = 0; i < 5; i++) {
        // Unsigned, so refused: answered all the same, and timed like any notification.
        const response = await fetch(`${served.url}${PAYMENT_NOTIFY_ROUTE}`, { method: 'POST', body: '{}' });
        expect(response.status).toBe(401);
      }
      await recorder.stop();
      const [minute] = await db.select().from(httpLatencyMinutes).where(eq(httpLatencyMinutes.route, PAYMENT_NOTIFY_ROUTE));
      expect(minute!.bucketCounts.reduce((sum, count) => sum + count, 0)).toBe(5);

      const latency = await tileOf('payment-latency');
      expect(latency.value).toBeGreaterThan(0);
      expect(latency.detail).toMatch(/^p50 [\d.]+ ms over the last 5 minutes$/);
      expect(latency.series.at(-1)).toBeGreaterThan(0);
    });
  });
});
