import { eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { alertRules } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { getSustainedLag, summarizeRetries } from '@/server/pipeline';
import { raiseAlert } from './raise-alert';

/**
 * The alert rules. Each rule is an alert kind; operators switch it on or off and tune its
 * threshold and duration (stored in alert_rules; a rule without a row uses these defaults).
 * Dead letters, failed refunds, shipments that left after a restock, reconciliation diffs and sales
 * are raised where they happen; the retry and lag rules are evaluated on a schedule by
 * `evaluateAlertRules`.
 */
export const ALERT_RULES = {
  'pipeline.dead_letter': { label: 'An event was dead-lettered', threshold: null, thresholdUnit: null, forMinutes: null },
  'pipeline.retry_attempts': { label: 'A delivery is retrying at attempt ≥ N', threshold: 5, thresholdUnit: 'attempts', forMinutes: null },
  'pipeline.lag': { label: "A group's lag stays over N events for M minutes", threshold: 1_000, thresholdUnit: 'events', forMinutes: 5 },
  'pipeline.oldest_age': { label: "A group's oldest unconsumed event stays older than N seconds for M minutes", threshold: 120, thresholdUnit: 'seconds', forMinutes: 5 },
  refund_failed: { label: 'A provider refund failed', threshold: null, thresholdUnit: null, forMinutes: null },
  'shipment.after_restock': { label: 'A refunded order left the warehouse after its units went back on sale', threshold: null, thresholdUnit: null, forMinutes: null },
  'reconciliation.diffs': { label: 'Reconciliation found new differences', threshold: null, thresholdUnit: null, forMinutes: null },
  'reconciliation.sales': { label: "A flash sale's units do not add up, or a buyer holds more than the limit", threshold: null, thresholdUnit: null, forMinutes: null },
  'invariants.violation': { label: 'The invariant watch found a new violation', threshold: null, thresholdUnit: null, forMinutes: null },
} as const;
export type AlertRuleName = keyof typeof ALERT_RULES;
export const ALERT_RULE_NAMES = Object.keys(ALERT_RULES) as AlertRuleName[];

export interface AlertRuleView {
  rule: AlertRuleName;
  label: string;
  enabled: boolean;
  threshold: number | null;
  thresholdUnit: string | null;
  forMinutes: number | null;
  updatedBy: string | null;
  updatedAt: Date | null;
}

export async function listAlertRules(db: Executor): Promise<AlertRuleView[]> {
  const rows = await db.select().from(alertRules);
  return ALERT_RULE_NAMES.map((rule) => {
    const defaults = ALERT_RULES[rule];
    const row = rows.find((found) => found.rule === rule);
    return {
      rule,
      label: defaults.label,
      enabled: row?.enabled ?? true,
      threshold: defaults.threshold === null ? null : (row?.threshold ?? defaults.threshold),
      thresholdUnit: defaults.thresholdUnit,
      forMinutes: defaults.forMinutes === null ? null : (row?.forMinutes ?? defaults.forMinutes),
      updatedBy: row?.updatedBy ?? null,
      updatedAt: row?.updatedAt ?? null,
    };
  });
}

export async function updateAlertRule(db: Executor, input: { rule: AlertRuleName; enabled?: boolean; threshold?: number; forMinutes?: number; actor: string }) {
  const defaults = ALERT_RULES[input.rule];
  if (input.threshold !== undefined && defaults.threshold === null) throw new DomainError('BAD_REQUEST', `Rule ${input.rule} has no threshold.`);
  if (input.forMinutes !== undefined && defaults.forMinutes === null) throw new DomainError('BAD_REQUEST', `Rule ${input.rule} has no duration.`);
  const changes = { enabled: input.enabled, threshold: input.threshold, forMinutes: input.forMinutes, updatedBy: input.actor, updatedAt: new Date() };
  const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  await db.insert(alertRules).values({ rule: input.rule, ...set }).onConflictDoUpdate({ target: alertRules.rule, set });
  const [row] = await db.select().from(alertRules).where(eq(alertRules.rule, input.rule));
  return row!;
}

/** Resolves the rule's open alerts whose condition no longer holds. */
async function resolveCleared(db: Executor, kind: string, stillFiring: string[]) {
  await db.execute(sql`
    update alerts set status = 'resolved', resolved_at = now(), resolved_by = 'alert rules', resolution = 'The condition cleared.'
     where kind = ${kind} and status <> 'resolved' and not (dedupe_key = any(${sql.param(stillFiring)}::text[]))`);
}

/** Evaluates the scheduled rules once: opens (or counts on) an alert per group over its threshold, resolves cleared ones. */
export async function evaluateAlertRules(db: Executor): Promise<{ firing: string[] }> {
  const rules = Object.fromEntries((await listAlertRules(db)).map((rule) => [rule.rule, rule])) as Record<AlertRuleName, AlertRuleView>;
  const firing: string[] = [];

  const retryRule = rules['pipeline.retry_attempts'];
  if (retryRule.enabled) {
    const rows = await summarizeRetries(db, { minAttempt: retryRule.threshold! });
    const keys = [];
    for (const row of rows) {
      const dedupeKey = `pipeline.retry_attempts:${row.group}`;
      keys.push(dedupeKey);
      await raiseAlert(db, {
        kind: 'pipeline.retry_attempts',
        severity: 'warning',
        dedupeKey,
        title: `${row.count} deliveries in ${row.group} are at attempt ${retryRule.threshold} or more`,
        details: { group: row.group, retrying: row.count, maxAttempt: row.maxAttempt, threshold: retryRule.threshold, lastError: row.lastError },
      });
    }
    firing.push(...keys);
    await resolveCleared(db, 'pipeline.retry_attempts', keys);
  }

  for (const [rule, measure, unitMs] of [
    ['pipeline.lag', 'lag', 1],
    ['pipeline.oldest_age', 'oldestUnconsumedAgeMs', 1_000],
  ] as const) {
    const settings = rules[rule];
    if (!settings.enabled) continue;
    const threshold = settings.threshold! * unitMs;
    // Over the threshold in every sample of the last M minutes, with samples covering (most of) that span.
    const rows = await getSustainedLag(db, { measure, threshold, forMinutes: settings.forMinutes! });
    const keys = [];
    for (const row of rows) {
      const dedupeKey = `${rule}:${row.group}`;
      keys.push(dedupeKey);
      const shown = rule === 'pipeline.lag' ? `${row.lowest} events` : `${Math.round(row.lowest / 1000)} s`;
      await raiseAlert(db, {
        kind: rule,
        severity: 'critical',
        dedupeKey,
        title: `${row.group}: ${rule === 'pipeline.lag' ? 'lag' : 'oldest unconsumed event'} over ${settings.threshold} ${settings.thresholdUnit} for ${settings.forMinutes} min (at least ${shown})`,
        details: { group: row.group, lowest: row.lowest, threshold: settings.threshold, unit: settings.thresholdUnit, forMinutes: settings.forMinutes },
      });
    }
    firing.push(...keys);
    await resolveCleared(db, rule, keys);
  }
  return { firing };
}
