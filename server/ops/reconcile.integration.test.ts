import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, reconciliationDiffs, simRefunds, simShipments } from '@/db/schema';
import { startOrderSystem, type OrderSystem } from '@/server/consumers/start-order-system';
import { createWmsClient } from '@/server/integrations/wms-client';
import { createOrder } from '@/server/orders/create-order';
import { requestRefund } from '@/server/orders/request-refund';
import { countEvents, createSku, eventually, orderRow } from '@/server/orders/test-fixtures';
import { fastPipelineOptions } from '@/server/pipeline/test-support/fast-pipeline';
import { createTestDatabase } from '@/test/database';
import { applyDiffFix } from './reconcile-diffs';
import { runReconciliation } from './reconcile-run';
import type { ReconcileDependencies } from './reconcile-types';
import { claimScheduledJob } from './scheduled-jobs';

const { db, url } = await createTestDatabase({ max: 20 });
let system: OrderSystem;
let dependencies: ReconcileDependencies;
const settings = { settleMs: 0, wmsGraceMs: 0, lookbackMs: 60 * 60_000 };

beforeAll(async () => {
  system = await startOrderSystem({
    db,
    url,
    // Shipments stay ACCEPTED for the whole file, so FULFILLING orders stay put.
    simulators: { hangMs: 1_000, settingsMaxAgeMs: 0, wmsDispatchDelayMs: 10 * 60_000, redeliveryBackoff: { baseMs: 60_000, maxMs: 60_000 } },
    pipeline: fastPipelineOptions,
    consumers: { backoff: { baseMs: 100, maxMs: 400 }, refundAttempts: 3 },
    clientTimeoutMs: 5_000,
  });
  dependencies = {
    payment: system.payment,
    wms: createWmsClient({ name: 'wms', baseUrl: `${system.url}/api/sim/wms`, timeoutMs: 5_000 }),
    callbackBaseUrl: () => system.url,
  };
});
afterAll(() => system.stop());

async function placeOrder() {
  const sku = await createSku(db, { stock: 10, priceCents: 1_500 });
  return createOrder(db, { userId: `user-${Math.random()}`, items: [{ sku, quantity: 1 }] });
}

const reconcile = (autoFix = true) => runReconciliation(db, { trigger: 'manual', startedBy: 'test@conveyor.demo', autoFix, dependencies, settings });
const diffsOf = (orderId: string) => db.select().from(reconciliationDiffs).where(eq(reconciliationDiffs.orderId, orderId));
const untilStatus = (orderId: string, status: string) =>
  eventually(`order ${orderId} to be ${status}`, async () => ((await orderRow(db, orderId)).status === status ? true : undefined));

describe('reconciliation', () => {
  it('finds a payment notification the provider never got through and applies it like the notification would', async () => {
    const order = await placeOrder();
    // The provider takes the money but its notifications go nowhere: our order never hears of it.
    const payment = await system.payment.createPayment({ orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${system.url}/nowhere` }, `checkout:${order.orderId}`);
    expect(payment.notification?.delivered).toBe(false);
    expect((await orderRow(db, order.orderId)).status).toBe('PENDING_PAYMENT');

    const run = await reconcile();
    expect(run.status).toBe('succeeded');
    expect(run.counts!.byKind.payment_not_recorded).toBeGreaterThanOrEqual(1);
    expect((await orderRow(db, order.orderId)).paymentId).toBe(payment.paymentId);
    expect(await diffsOf(order.orderId)).toMatchObject([{ kind: 'payment_not_recorded', status: 'auto_fixed', resolvedBy: 'reconciliation (automatic)', subject: payment.paymentId }]);
    expect(await countEvents(db, order.orderId, 'OrderPaid')).toBe(1);
    const audited = await db.select().from(auditLog).where(and(eq(auditLog.target, order.orderId), eq(auditLog.action, 'reconciliation.autoFix.apply_payment')));
    expect(audited).toHaveLength(1);

    // The next run finds nothing more for it, and the pipeline carries the order on as usual.
    await untilStatus(order.orderId, 'FULFILLING');
    await reconcile();
    expect(await diffsOf(order.orderId)).toHaveLength(1);
    expect(await countEvents(db, order.orderId, 'OrderPaid')).toBe(1);
  });

  it('re-pushes a shipment the warehouse lost although the pipeline counted the push as done', async () => {
    const order = await placeOrder();
    await system.payment.createPayment({ orderId: order.orderId, amountCents: order.totalCents, notifyUrl: system.notifyUrl }, `checkout:${order.orderId}`);
    await untilStatus(order.orderId, 'FULFILLING');
    const [processed] = await db.execute<{ count: number }>(sql`
      select count(*)::int as count from processed_events p join events e on e.id = p.event_id
      where p."group" = 'fulfillment' and e.key = ${order.orderId} and e.type = 'OrderPaid'`);
    expect(processed!.count).toBe(1);
    // The warehouse loses the shipment after accepting it.
    await db.delete(simShipments).where(eq(simShipments.orderId, order.orderId));

    await reconcile();
    expect(await diffsOf(order.orderId)).toMatchObject([{ kind: 'shipment_missing_at_wms', status: 'auto_fixed' }]);
    const [again] = await db.select().from(simShipments).where(eq(simShipments.orderId, order.orderId));
    expect(again).toMatchObject({ status: 'ACCEPTED' });
  });

  it('opens one diff for a provider refund that silently never happened, and does not duplicate it on later runs', async () => {
    const order = await placeOrder();
    await system.payment.createPayment({ orderId: order.orderId, amountCents: order.totalCents, notifyUrl: system.notifyUrl }, `checkout:${order.orderId}`);
    await untilStatus(order.orderId, 'FULFILLING');
    const { refundId } = await requestRefund(db, { orderId: order.orderId, reason: 'customer changed their mind' });
    await untilStatus(order.orderId, 'REFUNDED');
    // The provider answered OK but never made the refund.
    await db.delete(simRefunds).where(eq(simRefunds.id, refundId));

    const first = await reconcile();
    expect(first.counts!.opened).toBeGreaterThanOrEqual(1);
    const [diff] = await diffsOf(order.orderId);
    expect(diff).toMatchObject({ kind: 'refund_missing_at_provider', status: 'open', subject: refundId, fix: null, seenCount: 1 });
    expect(diff!.ours).toMatchObject({ status: 'SUCCEEDED', amountCents: order.totalCents });
    expect(diff!.theirs).toEqual({ refund: null });

    await reconcile();
    await reconcile();
    const diffs = await diffsOf(order.orderId);
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({ id: diff!.id, status: 'open', seenCount: 3 });
  });

  it('leaves fixes to a person in a report-only run, who then applies the fix', async () => {
    const order = await placeOrder();
    await system.payment.createPayment({ orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${system.url}/nowhere` }, `checkout:${order.orderId}`);
    await reconcile(false);
    const [diff] = await diffsOf(order.orderId);
    expect(diff).toMatchObject({ kind: 'payment_not_recorded', status: 'open', fix: 'apply_payment' });
    expect((await orderRow(db, order.orderId)).status).toBe('PENDING_PAYMENT');

    const { diff: fixed } = await applyDiffFix(db, dependencies, { diffId: diff!.id, note: 'customer called', actor: 'support@conveyor.demo' });
    expect(fixed).toMatchObject({ status: 'resolved', resolvedBy: 'support@conveyor.demo' });
    expect(fixed.resolution).toContain('Recorded payment');
    expect((await orderRow(db, order.orderId)).status).not.toBe('PENDING_PAYMENT');
    await expect(applyDiffFix(db, dependencies, { diffId: diff!.id, note: 'again', actor: 'support@conveyor.demo' })).rejects.toThrow(/already resolved/);
  });

  it('lets exactly one of many processes take a due scheduled run', async () => {
    const claims = await Promise.all(Array.from({ length: 8 }, (_, index) => claimScheduledJob(db, { job: 'test-job', owner: `p${index}`, everyMs: 60_000, leaseMs: 60_000 })));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
