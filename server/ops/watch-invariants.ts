import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database, Executor } from '@/db/client';
import { invariantFindings } from '@/db/schema';
import { checkOrderInvariants, type InvariantOptions } from '@/server/orders/order-invariants';
import { raiseAlert } from './raise-alert';

export const INVARIANT_ALERT_KIND = 'invariants.violation';

export interface InvariantWatchResult {
  violations: number;
  opened: number;
  resolved: number;
}

/**
 * One run of the invariant watch: checks the invariants `npm run verify` checks, keeps one open
 * finding per violated invariant and subject (a violation seen again only moves last_seen_at),
 * resolves the findings no longer seen, and raises an alert for each invariant with new findings.
 * The findings and the alert commit together, so a crash cannot alert without a finding or
 * record a finding that never alerted.
 */
export async function watchInvariants(db: Database, options: InvariantOptions = {}): Promise<InvariantWatchResult> {
  const violations = await checkOrderInvariants(db, options);
  return db.transaction(async (tx) => {
    const seen = violations.length
      ? await tx.execute<{ id: number; invariant: string; subject: string; opened: boolean }>(sql`
          insert into invariant_findings (invariant, subject, order_id, detail)
          select * from unnest(${sql.param(violations.map((v) => v.invariant))}::text[], ${sql.param(violations.map((v) => v.subject))}::text[],
                               ${sql.param(violations.map((v) => v.orderId))}::text[], ${sql.param(violations.map((v) => v.detail))}::text[])
          on conflict (invariant, subject) where resolved_at is null
            do update set last_seen_at = now(), detail = excluded.detail
          returning id::int as id, invariant, subject, (xmax = 0) as opened`)
      : [];
    const resolved = await tx.execute(sql`
      update invariant_findings set resolved_at = now()
      where resolved_at is null and not (id = any(${sql.param(seen.map((row) => row.id))}::int8[]))
      returning id`);

    const openedByInvariant = new Map<string, string[]>();
    for (const row of seen) if (row.opened) openedByInvariant.set(row.invariant, [...(openedByInvariant.get(row.invariant) ?? []), row.subject]);
    for (const [invariant, subjects] of openedByInvariant) {
      await raiseAlert(tx, {
        kind: INVARIANT_ALERT_KIND,
        severity: 'critical',
        dedupeKey: `${INVARIANT_ALERT_KIND}:${invariant}`,
        title: `Invariant violated: ${invariant}`,
        details: { newFindings: subjects.length, subjects: subjects.slice(0, 20) },
      });
    }
    return { violations: violations.length, opened: seen.filter((row) => row.opened).length, resolved: resolved.length };
  });
}

/** The open findings about one order, for its page. */
export async function openFindingsOfOrder(db: Executor, orderId: string) {
  return db
    .select({ id: invariantFindings.id, invariant: invariantFindings.invariant, detail: invariantFindings.detail, firstSeenAt: invariantFindings.firstSeenAt, lastSeenAt: invariantFindings.lastSeenAt })
    .from(invariantFindings)
    .where(and(eq(invariantFindings.orderId, orderId), isNull(invariantFindings.resolvedAt)))
    .orderBy(desc(invariantFindings.firstSeenAt));
}
