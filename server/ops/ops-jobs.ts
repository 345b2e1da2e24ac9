import { randomUUID } from 'node:crypto';
import { wholeNumberSetting } from '@/server/runtime/settings';
import type { Database } from '@/db/client';
import { pruneReceivedWebhooks } from '@/server/integrations/received-webhooks';
import { evaluateAlertRules } from './alert-rules';
import { deliverDueAlertWebhooks, type AlertWebhookOptions, defaultAlertWebhookOptions } from './alert-webhook';
import { runScheduledReconciliation } from './reconciliation/reconcile-run';
import type { ReconcileDependencies, ReconcileSettings } from './reconciliation/reconcile-types';
import { trackLongWork } from './long-work/track-long-work';
import { runExclusively } from './scheduled-jobs';
import { sampleOverview } from './overview-state';
import { watchInvariants } from './watch-invariants';

export interface OpsJobsOptions {
  db: Database;
  /** Minutes between reconciliation runs (RECONCILE_EVERY_MINUTES, default 5); 0 turns scheduled runs off. */
  reconcileEveryMs?: number;
  alertRulesEveryMs?: number;
  /** Between invariant watch runs (INVARIANTS_EVERY_MINUTES, default 5); 0 turns it off. */
  invariantsEveryMs?: number;
  /** Whether the simulators are the third parties, so the watch may compare with their records. */
  simulatorChecks?: boolean;
  webhookPollMs?: number;
  reconcile?: { dependencies?: ReconcileDependencies; settings?: Partial<ReconcileSettings> };
  webhook?: AlertWebhookOptions;
  log?: (line: string) => void;
}

export interface OpsJobsHandle {
  stop(): Promise<void>;
}

/**
 * The ops background jobs: scheduled reconciliation, alert-rule evaluation, the invariant watch,
 * the Overview's samples, the progress of long operator actions and the hourly pruning of
 * received webhook ids (each leased, so exactly one process runs each per period however many
 * run this), and alert webhook delivery (rows claimed with SKIP LOCKED, so any number of
 * processes may deliver).
 */
export function startOpsJobs(options: OpsJobsOptions): OpsJobsHandle {
  const { db } = options;
  const log = options.log ?? ((line: string) => console.log(`[ops] ${line}`));
  const owner = `ops-${randomUUID()}`;
  const reconcileEveryMs = options.reconcileEveryMs ?? Number(process.env.RECONCILE_EVERY_MINUTES ?? 5) * 60_000;
  const alertRulesEveryMs = options.alertRulesEveryMs ?? 30_000;
  const invariantsEveryMs = options.invariantsEveryMs ?? wholeNumberSetting('INVARIANTS_EVERY_MINUTES', 5) * 60_000;
  const webhookPollMs = options.webhookPollMs ?? 2_000;
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  let stopped = false;

  function every(name: string, intervalMs: number, work: () => Promise<unknown>) {
    const tick = () => {
      if (stopped) return;
      const job = work()
        .catch((error: unknown) => log(`${name} failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => {
          running.delete(job);
          if (!stopped) timers.push(setTimeout(tick, intervalMs));
        });
      running.add(job);
    };
    timers.push(setTimeout(tick, Math.min(intervalMs, 1_000)));
  }

  if (reconcileEveryMs > 0) {
    // Checking often whether a run is due keeps the period close to `reconcileEveryMs` across processes.
    every('reconciliation', Math.min(reconcileEveryMs, 15_000), async () => {
      const run = await runScheduledReconciliation(db, { everyMs: reconcileEveryMs, ...options.reconcile });
      if (run) log(`reconciliation run ${run.id}: ${run.counts?.checked ?? 0} orders checked, ${run.counts?.autoFixed ?? 0} fixed, ${run.counts?.opened ?? 0} new diffs`);
    });
  }
  every('alert rules', Math.min(alertRulesEveryMs, 10_000), () =>
    runExclusively(db, { job: 'alert-rules', owner, everyMs: alertRulesEveryMs, leaseMs: 60_000 }, () => evaluateAlertRules(db)),
  );
  if (invariantsEveryMs > 0) {
    every('invariant watch', Math.min(invariantsEveryMs, 15_000), async () => {
      const run = await runExclusively(db, { job: 'invariants', owner, everyMs: invariantsEveryMs, leaseMs: 10 * 60_000 }, () =>
        watchInvariants(db, { simulatorChecks: options.simulatorChecks ?? true }),
      );
      if (run && (run.opened || run.resolved)) log(`invariant watch: ${run.violations} violation(s), ${run.opened} new, ${run.resolved} resolved`);
    });
  }
  // Within each minute at least once, so the Overview's sparklines have a point per minute.
  every('overview samples', 15_000, () => runExclusively(db, { job: 'overview-samples', owner, everyMs: 50_000, leaseMs: 60_000 }, () => sampleOverview(db)));
  // Every second, so a replay's progress on the console moves while it runs; one write per running work at most.
  every('long work progress', 1_000, () => runExclusively(db, { job: 'long-work-progress', owner, everyMs: 900, leaseMs: 30_000 }, () => trackLongWork(db)));
  every('alert webhook', webhookPollMs, () => deliverDueAlertWebhooks(db, options.webhook ?? defaultAlertWebhookOptions));
  every('received webhooks', 60_000, () =>
    runExclusively(db, { job: 'prune-received-webhooks', owner, everyMs: 60 * 60_000, leaseMs: 10 * 60_000 }, () => pruneReceivedWebhooks(db)),
  );

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(running);
    },
  };
}
