import { isNull, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { invariantFindings } from '@/db/schema';
import { listConsumerGroups } from '@/server/pipeline';
import { activeAlertCounts } from './alerts';
import { countPendingApprovals } from './approvals';
import { openDiffCounts } from './reconciliation/reconcile-diffs';
import { getThirdPartyHealth, type ThirdPartyHealth } from './third-party-health';

/** The figures of the Overview that are a state now (not a count of things that happened). */
export interface OverviewState {
  deadLetters: number;
  /** The group holding the most dead letters, so the Overview can link to them. */
  mostDeadLetters: { group: string; dead: number } | null;
  retrying: number;
  openAlerts: number;
  criticalAlerts: number;
  pendingApprovals: number;
  openDiffs: number;
  invariantViolations: number;
  thirdParties: ThirdPartyHealth[];
}

export async function readOverviewState(db: Executor): Promise<OverviewState> {
  const [groups, alerts, pendingApprovals, diffs, [findings], thirdParties] = await Promise.all([
    listConsumerGroups(db),
    activeAlertCounts(db),
    countPendingApprovals(db),
    openDiffCounts(db),
    db.select({ open: sql<number>`count(*)::int` }).from(invariantFindings).where(isNull(invariantFindings.resolvedAt)),
    getThirdPartyHealth(db),
  ]);
  return {
    deadLetters: groups.reduce((sum, group) => sum + group.dead, 0),
    mostDeadLetters: groups.filter((group) => group.dead > 0).reduce<OverviewState['mostDeadLetters']>((most, group) => (most && most.dead >= group.dead ? most : { group: group.group, dead: group.dead }), null),
    retrying: groups.reduce((sum, group) => sum + group.retrying, 0),
    openAlerts: alerts.open + alerts.acknowledged,
    criticalAlerts: alerts.critical,
    pendingApprovals,
    openDiffs: Object.values(diffs).reduce((sum, count) => sum + count, 0),
    invariantViolations: findings?.open ?? 0,
    thirdParties,
  };
}

/** One sample per figure, keyed as overview_samples.metric. */
export function stateSamples(state: OverviewState): Record<string, number | null> {
  return {
    dead_letters: state.deadLetters,
    retrying: state.retrying,
    open_alerts: state.openAlerts,
    pending_approvals: state.pendingApprovals,
    open_diffs: state.openDiffs,
    invariant_violations: state.invariantViolations,
    ...Object.fromEntries(state.thirdParties.map((party) => [`third_party_error_rate:${party.integration}`, party.errorRate])),
  };
}

/** How long the Overview's history is kept. */
const SAMPLE_RETENTION_HOURS = 48;

/**
 * Writes this minute's sample of every state figure (a repeat in the same minute overwrites),
 * and forgets samples and latency minutes older than the retention.
 */
export async function sampleOverview(db: Executor): Promise<void> {
  const samples = Object.entries(stateSamples(await readOverviewState(db)));
  await db.execute(sql`
    insert into overview_samples (metric, minute, value)
    select metric, date_trunc('minute', now()), value
    from unnest(${sql.param(samples.map(([metric]) => metric))}::text[], ${sql.param(samples.map(([, value]) => value))}::float8[]) as s(metric, value)
    on conflict (metric, minute) do update set value = excluded.value`);
  await db.execute(sql`delete from overview_samples where minute < now() - make_interval(hours => ${SAMPLE_RETENTION_HOURS})`);
  await db.execute(sql`delete from http_latency_minutes where minute < now() - make_interval(hours => ${SAMPLE_RETENTION_HOURS})`);
}
