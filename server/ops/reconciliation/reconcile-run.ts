import { randomUUID } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { reconciliationRuns, type ReconciliationCounts } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { reportProgress, type ProgressReporter } from '../long-work/report-progress';
import { startLongWork } from '../long-work/start-long-work';
import { raiseAlert } from '../raise-alert';
import { auditAutomaticFix, clearSettledDiffs, recordAutoFixedDiff, recordOpenDiff } from './reconcile-diffs';
import { reconciliationFailure } from './reconcile-errors';
import { applyReconciliationFix } from './reconcile-fixes';
import { reconcilePayments } from './reconcile-payments';
import { reconcileRefunds } from './reconcile-refunds';
import { reconcileSales } from './reconcile-sales';
import { reconcileShipments } from './reconcile-shipments';
import {
  defaultReconcileDependencies,
  reconcileSettingsFromEnv,
  type Finding,
  type OrderToCheck,
  type ReconcileContext,
  type ReconcileDependencies,
  type ReconcileSettings,
} from './reconcile-types';
import { runExclusively } from '../scheduled-jobs';

export const RECONCILIATION_JOB = 'reconciliation';
/**
 * The run's lease is short and renewed while the run works: a process that dies mid-run
 * blocks the next run for at most RUN_LEASE_MS, not for the longest a run could take.
 */
export const RUN_LEASE = { leaseMs: 20_000, heartbeatMs: 5_000 };
const CONCURRENCY = 4;

export interface RunReconciliationOptions {
  trigger: 'schedule' | 'manual';
  startedBy: string;
  /** False: record what differs and leave every fix to a person. */
  autoFix?: boolean;
  dependencies?: ReconcileDependencies;
  settings?: Partial<ReconcileSettings>;
  /** Scheduled runs: run only if the last run started at least this long ago. */
  everyMs?: number;
  /** Tests shorten the lease to see a dead runner taken over quickly. */
  lease?: { leaseMs: number; heartbeatMs: number };
  /** A run an operator started: its progress is shown on the Reconciliation screen and the Overview. */
  progress?: { reason: string };
}

/** Orders changed in the window, plus every order with an open diff (to see whether it still differs). */
async function ordersToCheck(db: Database, window: { from: Date; to: Date }, limit: number) {
  const rows = await db.execute<OrderToCheck & { inWindow: boolean }>(sql`
    (select id, status, total_cents as "totalCents", payment_id as "paymentId", paid_at as "paidAt", updated_at as "updatedAt", true as "inWindow"
       from orders where updated_at >= ${window.from.toISOString()}::timestamptz and updated_at < ${window.to.toISOString()}::timestamptz
      order by updated_at limit ${limit})
    union
    (select o.id, o.status, o.total_cents, o.payment_id, o.paid_at, o.updated_at, false
       from orders o where o.id in (select order_id from reconciliation_diffs where status = 'open'))`);
  const byId = new Map<string, OrderToCheck & { inWindow: boolean }>();
  for (const row of rows) {
    const order = { ...row, paidAt: row.paidAt ? new Date(row.paidAt) : null, updatedAt: new Date(row.updatedAt) };
    if (!byId.has(order.id) || order.inWindow) byId.set(order.id, order);
  }
  return [...byId.values()];
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * One reconciliation run: compares the orders changed since the last run with the payment
 * provider and the warehouse, applies the certain fixes through the order commands (unless
 * report-only), records every other difference once, and closes diffs that no longer differ;
 * then checks the flash sales' units (reconcile-sales.ts), counted in the run by kind.
 * Takes the reconciliation lease, so a manual run and a scheduled one never overlap.
 */
export async function runReconciliation(db: Database, options: RunReconciliationOptions) {
  const owner = `${options.trigger}:${randomUUID()}`;
  let run: Awaited<ReturnType<typeof reconcile>> | undefined;
  try {
    run = await runExclusively(db, { job: RECONCILIATION_JOB, owner, everyMs: options.everyMs ?? 0, ...(options.lease ?? RUN_LEASE) }, (signal) => reconcile(db, options, signal));
  } catch (error) {
    throw reconciliationFailure(error, 'running reconciliation');
  }
  if (!run) throw new DomainError('CONFLICT', 'A reconciliation run is in progress; its results appear on this page when it finishes. Try again in a minute.');
  return run;
}

/** The scheduler's entry: runs when due and nobody else is running, otherwise returns null. */
export async function runScheduledReconciliation(db: Database, options: Omit<RunReconciliationOptions, 'trigger' | 'startedBy'> & { everyMs: number }) {
  try {
    return await runReconciliation(db, { ...options, trigger: 'schedule', startedBy: 'schedule' });
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'CONFLICT') return null;
    throw error;
  }
}

/**
 * Runs still marked running when this process holds the lease were left by a process that
 * stopped renewing it (it died or hung): nobody else can be running them, so they are closed.
 */
async function closeAbandonedRuns(db: Database) {
  return db
    .update(reconciliationRuns)
    .set({
      status: 'failed',
      error: 'Abandoned: the process running it stopped renewing its lease (it probably stopped); a later run took over and checks the same orders.',
      finishedAt: new Date(),
    })
    .where(eq(reconciliationRuns.status, 'running'))
    .returning({ id: reconciliationRuns.id });
}

async function reconcile(db: Database, options: RunReconciliationOptions, signal: AbortSignal) {
  await closeAbandonedRuns(db);
  const settings = { ...reconcileSettingsFromEnv(), ...options.settings };
  const dependencies = options.dependencies ?? defaultReconcileDependencies();
  const autoFix = options.autoFix ?? true;
  const now = new Date();
  const [previous] = await db
    .select({ windowTo: reconciliationRuns.windowTo })
    .from(reconciliationRuns)
    .where(eq(reconciliationRuns.status, 'succeeded'))
    .orderBy(desc(reconciliationRuns.id))
    .limit(1);
  const earliest = new Date(now.getTime() - settings.lookbackMs);
  const from = previous && previous.windowTo > earliest ? previous.windowTo : earliest;
  const to = new Date(now.getTime() - settings.settleMs);

  const [run] = await db
    .insert(reconciliationRuns)
    .values({ trigger: options.trigger, startedBy: options.startedBy, autoFix, windowFrom: from, windowTo: to < from ? from : to })
    .returning();
  const started = performance.now();
  const counts: ReconciliationCounts = { checked: 0, byKind: {}, opened: 0, autoFixed: 0, cleared: 0, unreachable: 0 };
  // Orders the provider or the warehouse could not be asked about are the run's failures.
  const countsSoFar = () => ({ done: counts.checked + counts.unreachable, failures: counts.unreachable });
  let progress: ProgressReporter | null = null;
  try {
    const orders = await ordersToCheck(db, { from, to: to < from ? from : to }, settings.maxOrders);
    const windowed = orders.filter((order) => order.inWindow);
    // With more changes than one run takes, the window ends at the last order taken; the next run goes on from there.
    const windowTo = windowed.length >= settings.maxOrders ? windowed[windowed.length - 1]!.updatedAt : to < from ? from : to;
    const context: ReconcileContext = { db, settings, now, ...dependencies };
    const work = options.progress
      ? await startLongWork(db, {
          kind: 'reconciliation_run',
          label: `Reconciliation run ${run!.id}: ${orders.length} order${orders.length === 1 ? '' : 's'} to check`,
          startedFrom: '/reconciliation',
          startedBy: options.startedBy,
          reason: options.progress.reason,
          total: orders.length,
          subject: { reconciliationRunId: run!.id },
        })
      : null;
    progress = work ? reportProgress(db, work.id) : null;

    async function checkOrder(order: (typeof orders)[number]) {
      signal.throwIfAborted();
      let findings: Finding[];
      try {
        const providerPayments = await dependencies.payment.paymentsForOrder(order.id);
        findings = [
          ...(await reconcilePayments(context, order, providerPayments)),
          ...(await reconcileShipments(context, order)),
          ...(await reconcileRefunds(context, order, providerPayments)),
        ];
      } catch {
        counts.unreachable++;
        return;
      }
      counts.checked++;
      const stillOpen: Finding[] = [];
      for (const finding of findings) {
        counts.byKind[finding.kind] = (counts.byKind[finding.kind] ?? 0) + 1;
        if (autoFix && finding.fix) {
          const fixed = await tryFix(db, dependencies, run!.id, finding);
          if (fixed) {
            counts.autoFixed++;
            continue;
          }
        }
        stillOpen.push(finding);
        const { opened } = await recordOpenDiff(db, run!.id, finding);
        if (opened) counts.opened++;
      }
      counts.cleared += await clearSettledDiffs(db, run!.id, order.id, stillOpen);
    }
    await inParallel(orders, CONCURRENCY, (order) => checkOrder(order).finally(() => progress?.update(countsSoFar())));

    // Flash sales add up against their own ledger; a sale that does not raises its own alert.
    for (const difference of await reconcileSales(db, { lookbackMs: settings.lookbackMs })) {
      counts.byKind[difference.kind] = (counts.byKind[difference.kind] ?? 0) + 1;
    }
    if (counts.opened > 0) {
      await raiseAlert(db, {
        kind: 'reconciliation.diffs',
        severity: 'warning',
        dedupeKey: 'reconciliation.diffs',
        title: `Reconciliation found ${counts.opened} new difference(s) to look at`,
        details: { runId: run!.id, opened: counts.opened, byKind: counts.byKind },
      });
    }
    signal.throwIfAborted();
    const [finished] = await db
      .update(reconciliationRuns)
      .set({ status: 'succeeded', counts, windowTo, finishedAt: new Date(), durationMs: Math.round(performance.now() - started) })
      .where(and(eq(reconciliationRuns.id, run!.id), eq(reconciliationRuns.status, 'running')))
      .returning();
    // Closed as abandoned by a run that took over: this one's window must not count as reconciled.
    if (!finished) throw new DomainError('CONFLICT', `Run ${run!.id} was taken over by another process before it finished; that run's results appear on this page.`);
    await progress?.finish({ counts: countsSoFar() });
    return finished;
  } catch (error) {
    const failure = reconciliationFailure(error, `running reconciliation (run ${run!.id})`);
    await db
      .update(reconciliationRuns)
      .set({ status: 'failed', counts, error: failure.message, finishedAt: new Date(), durationMs: Math.round(performance.now() - started) })
      .where(and(eq(reconciliationRuns.id, run!.id), eq(reconciliationRuns.status, 'running')));
    await progress?.finish({ counts: countsSoFar(), error: failure.message });
    throw failure;
  }
}

/** Applies a finding's fix; a fix that fails leaves the diff open for a person, with the reason. */
async function tryFix(db: Database, dependencies: ReconcileDependencies, runId: number, finding: Finding): Promise<boolean> {
  try {
    const result = await applyReconciliationFix(db, dependencies, { fix: finding.fix!, orderId: finding.orderId, subject: finding.subject }, RECONCILIATION_ACTOR_NAME);
    const diffId = await recordAutoFixedDiff(db, runId, finding, result);
    await auditAutomaticFix(db, { diffId, orderId: finding.orderId, fix: finding.fix!, summary: finding.summary, result, ok: true });
    return true;
  } catch (error) {
    finding.summary = `${finding.summary} Automatic fix failed: ${reconciliationFailure(error, 'applying it automatically').message}`;
    return false;
  }
}

const RECONCILIATION_ACTOR_NAME = 'reconciliation';

export async function listRuns(db: Database, input: { limit: number }) {
  return db.select().from(reconciliationRuns).orderBy(desc(reconciliationRuns.id)).limit(input.limit);
}
