import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, longWork, reconciliationDiffs, reconciliationRuns, simRefunds, simShipments } from '@/db/schema';
import { startOrderSystem, type OrderSystem } from '@/server/runtime/order-system';
import { IntegrationTimeoutError } from '@/server/integrations/integration-client';
import { createWmsClient } from '@/server/integrations/wms-client';
import { createOrder } from '@/server/orders/create-order';
import { requestRefund } from '@/server/orders/request-refund';
import { countEvents, createSku, eventually, orderRow } from '@/server/orders/test-fixtures';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import { createTestDatabase } from '@/test/database';
import { applyDiffFix } from './reconcile-diffs';
import { RECONCILIATION_JOB, runReconciliation } from './reconcile-run';
import type { ReconcileDependencies } from './reconcile-types';
import { claimScheduledJob } from '../scheduled-jobs';

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
      where p."group" = 'fulfilment' and e.key = ${order.orderId} and e.type = 'OrderPaid'`);
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

  it('takes over within seconds from a run whose process stopped renewing its lease, and marks that run abandoned', async () => {
    // What a process killed mid-run leaves behind: the lease it last renewed and its run row still running.
    expect(await claimScheduledJob(db, { job: RECONCILIATION_JOB, owner: 'manual:killed-process', everyMs: 0, leaseMs: 2_000 })).toBe(true);
    const [dead] = await db
      .insert(reconciliationRuns)
      .values({ trigger: 'manual', startedBy: 'support@conveyor.demo', windowFrom: new Date(Date.now() - 60_000), windowTo: new Date() })
      .returning();
    const diedAt = Date.now();

    // While the lease lasts, "Run now" is refused with words an operator can act on.
    await expect(reconcile()).rejects.toMatchObject({ name: 'DomainError', kind: 'CONFLICT', message: expect.stringMatching(/in progress.*Try again/) });

    const run = await eventually('a run to take the expired lease over', async () => {
      try {
        return await reconcile();
      } catch (error) {
        if ((error as { kind?: string }).kind === 'CONFLICT') return undefined;
        throw error;
      }
    }, 10_000);
    expect(run.status).toBe('succeeded');
    expect(Date.now() - diedAt).toBeLessThan(8_000);
    const [abandoned] = await db.select().from(reconciliationRuns).where(eq(reconciliationRuns.id, dead!.id));
    expect(abandoned).toMatchObject({ status: 'failed', error: expect.stringMatching(/^Abandoned/) });
    expect(abandoned!.finishedAt).not.toBeNull();
  });

  it('shows the progress of a run an operator started: running while it checks, then every order done, the unreachable ones as failures', async () => {
    const orders = [await placeOrder(), await placeOrder(), await placeOrder()];
    const unreachable = orders[1]!.orderId;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gatedPayment = Object.create(system.payment) as typeof system.payment;
    gatedPayment.paymentsForOrder = async (orderId) => {
      await gate;
      if (orderId === unreachable) throw new IntegrationTimeoutError('payment', 'payments for order', 5_000);
      return system.payment.paymentsForOrder(orderId);
    };
    const running = runReconciliation(db, {
      trigger: 'manual',
      startedBy: 'support@conveyor.demo',
      dependencies: { ...dependencies, payment: gatedPayment },
      settings,
      progress: { reason: 'customer says they paid twice' },
    });
    const started = await waitFor(async () => (await db.select().from(longWork).where(eq(longWork.kind, 'reconciliation_run')))[0], { what: 'the run to record its work' });
    expect(started).toMatchObject({ state: 'running', done: 0, failures: 0, startedBy: 'support@conveyor.demo', reason: 'customer says they paid twice', startedFrom: '/reconciliation' });
    expect(started.total).toBeGreaterThanOrEqual(orders.length);

    release();
    const run = await running;
    const [ended] = await db.select().from(longWork).where(eq(longWork.id, started.id));
    expect(ended).toMatchObject({ state: 'finished', total: started.total, done: started.total, failures: 1, error: null });
    expect(run.counts).toMatchObject({ checked: started.total - 1, unreachable: 1 });
    expect(ended!.label).toBe(`Reconciliation run ${run.id}: ${started.total} orders to check`);
  });

  it('keeps the lease of a run that outlasts it by renewing it, so nobody runs beside it', async () => {
    await placeOrder();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const blocked = new Promise<void>((resolve) => (entered = resolve));
    const slowPayment = Object.create(system.payment) as typeof system.payment;
    slowPayment.paymentsForOrder = async (orderId) => {
      entered();
      await gate;
      return system.payment.paymentsForOrder(orderId);
    };
    const lease = { leaseMs: 1_000, heartbeatMs: 200 };
    const slow = runReconciliation(db, { trigger: 'manual', startedBy: 'slow@conveyor.demo', dependencies: { ...dependencies, payment: slowPayment }, settings, lease });
    await blocked;
    const leaseOf = async () => {
      const [row] = await db.execute<{ owner: string; expiresAt: string; live: boolean }>(sql`
        select lease_owner as owner, lease_expires_at::text as "expiresAt", lease_expires_at > now() as live from scheduled_jobs where job = ${RECONCILIATION_JOB}`);
      return row!;
    };
    const taken = await leaseOf();
    // Judged on the database's clock, which decides expiry: a whole lease length after the lease the run took would have run out.
    await waitFor(
      async () => {
        const [row] = await db.execute<{ past: boolean }>(sql`select now() > ${taken.expiresAt}::timestamptz + ${lease.leaseMs} * interval '1 millisecond' as past`);
        return row!.past;
      },
      { what: `the database clock to pass the slow run's first lease expiry (${taken.expiresAt}) by one lease length` },
    );
    expect(await leaseOf()).toMatchObject({ owner: taken.owner, live: true });
    await expect(runReconciliation(db, { trigger: 'manual', startedBy: 'test@conveyor.demo', dependencies, settings, lease })).rejects.toMatchObject({ kind: 'CONFLICT' });
    release();
    expect(await slow).toMatchObject({ status: 'succeeded', startedBy: 'slow@conveyor.demo' });
    expect(await reconcile()).toMatchObject({ status: 'succeeded' });
  });

  it('shows an operator what to do, not the raw error, when a fix cannot reach the provider', async () => {
    const order = await placeOrder();
    const payment = await system.payment.createPayment({ orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${system.url}/nowhere` }, `checkout:${order.orderId}`);
    await reconcile(false);
    const [diff] = await diffsOf(order.orderId);
    const unreachable = Object.create(system.payment) as typeof system.payment;
    unreachable.getPayment = () => Promise.reject(new IntegrationTimeoutError('payment', 'getPayment', 5_000));
    const attempt = applyDiffFix(db, { ...dependencies, payment: unreachable }, { diffId: diff!.id, note: 'customer called', actor: 'support@conveyor.demo' });
    await expect(attempt).rejects.toMatchObject({ name: 'DomainError', kind: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/^The payment provider did not answer.*try again in a minute/) });
    await expect(attempt).rejects.not.toThrow(/getPayment|5000 ms/);

    const broken = Object.create(system.payment) as typeof system.payment;
    broken.getPayment = () => Promise.reject(Object.assign(new Error('relation "sim_payments" does not exist'), { code: '42P01' }));
    await expect(applyDiffFix(db, { ...dependencies, payment: broken }, { diffId: diff!.id, note: 'again', actor: 'support@conveyor.demo' })).rejects.toMatchObject({
      kind: 'SERVICE_UNAVAILABLE',
      message: expect.not.stringMatching(/relation|sim_payments/),
    });
    // Nothing was half-done: the diff is still open, and the fix goes through once the provider answers.
    const { diff: fixed } = await applyDiffFix(db, dependencies, { diffId: diff!.id, note: 'provider is back', actor: 'support@conveyor.demo' });
    expect(fixed).toMatchObject({ status: 'resolved' });
    expect((await orderRow(db, order.orderId)).paymentId).toBe(payment.paymentId);
  });

  it('lets exactly one of many processes take a due scheduled run', async () => {
    const claims = await Promise.all(Array.from({ length: 8 }, (_, index) => claimScheduledJob(db, { job: 'test-job', owner: `p${index}`, everyMs: 60_000, leaseMs: 60_000 })));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
