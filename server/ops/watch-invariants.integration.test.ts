import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { alerts, invariantFindings, orders, skus } from '@/db/schema';
import { createOrder } from '@/server/orders/create-order';
import { createSku } from '@/server/orders/test-fixtures';
import { createTestDatabase } from '@/test/database';
import { waitFor } from '@/test/wait-for';
import { startOpsJobs } from './ops-jobs';
import { openFindingsOfOrder, watchInvariants } from './watch-invariants';

const { db } = await createTestDatabase();
const STUCK = 'no order sits in an intermediate state past its deadline without a retry or dead letter explaining it';
const STOCK = 'stock is conserved per SKU (available + frozen + sold + held by flash sales = total)';

const openFindings = () => db.select().from(invariantFindings).where(sql`${invariantFindings.resolvedAt} is null`);
const invariantAlerts = () => db.select().from(alerts).where(eq(alerts.kind, 'invariants.violation'));

describe('the invariant watch', () => {
  it('records a new violation once, alerts once per invariant, and resolves it when it no longer holds', async () => {
    const sku = await createSku(db, { stock: 10 });
    const order = await createOrder(db, { userId: 'watched', items: [{ sku, quantity: 1 }] });
    await db.update(orders).set({ paymentDeadline: sql`now() - interval '2 hours'` }).where(eq(orders.id, order.orderId));
    await db.update(skus).set({ available: 99 }).where(eq(skus.sku, sku));

    expect(await watchInvariants(db)).toMatchObject({ opened: 2, resolved: 0 });
    const findings = await openFindings();
    expect(findings.map((finding) => [finding.invariant, finding.subject, finding.orderId]).sort()).toEqual(
      [
        [STUCK, order.orderId, order.orderId],
        [STOCK, sku, null],
      ].sort(),
    );
    expect(await openFindingsOfOrder(db, order.orderId)).toEqual([expect.objectContaining({ invariant: STUCK, detail: expect.stringContaining('PENDING_PAYMENT since') })]);
    const raised = await invariantAlerts();
    expect(raised.map((alert) => alert.title).sort()).toEqual([`Invariant violated: ${STOCK}`, `Invariant violated: ${STUCK}`].sort());
    expect(raised.every((alert) => alert.count === 1 && alert.severity === 'critical')).toBe(true);

    // Seen again: still one finding each, and no second alert occurrence.
    expect(await watchInvariants(db)).toMatchObject({ opened: 0, resolved: 0 });
    expect(await openFindings()).toHaveLength(2);
    expect((await invariantAlerts()).map((alert) => alert.count)).toEqual([1, 1]);

    // The stock is mended: its finding resolves, the order's stays.
    await db.update(skus).set({ available: 9 }).where(eq(skus.sku, sku));
    expect(await watchInvariants(db)).toMatchObject({ opened: 0, resolved: 1 });
    expect((await openFindings()).map((finding) => finding.invariant)).toEqual([STUCK]);
    const [stockFinding] = await db.select().from(invariantFindings).where(eq(invariantFindings.subject, sku));
    expect(stockFinding!.resolvedAt).not.toBeNull();

    // A violation that comes back is a new finding and counts on its invariant's alert again.
    await db.update(skus).set({ available: 50 }).where(eq(skus.sku, sku));
    expect(await watchInvariants(db)).toMatchObject({ opened: 1 });
    const stockAlert = (await invariantAlerts()).find((alert) => alert.title.includes('stock'));
    expect(stockAlert!.count).toBe(2);
    await db.update(skus).set({ available: 9 }).where(eq(skus.sku, sku));
    await db.update(orders).set({ status: 'CLOSED' }).where(eq(orders.id, order.orderId));
    expect(await watchInvariants(db)).toMatchObject({ violations: 0 });
    expect(await openFindings()).toHaveLength(0);
  });

  describe('on the worker schedule', () => {
    let jobs: ReturnType<typeof startOpsJobs> | undefined;
    afterAll(async () => jobs?.stop());

    it('runs by itself on the worker schedule, and two workers still record each finding once', async () => {
      const sku = await createSku(db, { stock: 3 });
      await db.update(skus).set({ available: 7 }).where(eq(skus.sku, sku));
      const options = { db, reconcileEveryMs: 0, alertRulesEveryMs: 3_600_000, invariantsEveryMs: 200, log: () => {} };
      jobs = startOpsJobs(options);
      const second = startOpsJobs(options);
      try {
        await waitFor(async () => (await openFindings()).some((finding) => finding.subject === sku), { what: 'the scheduled watch to find the SKU' });
      } finally {
        await second.stop();
      }
      expect((await openFindings()).filter((finding) => finding.subject === sku)).toHaveLength(1);
    });
  });
});
