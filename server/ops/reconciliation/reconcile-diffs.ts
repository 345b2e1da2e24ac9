import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Database, Executor } from '@/db/client';
import { auditLog, reconciliationDiffs, type ReconciliationDiffStatus } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { reconciliationFailure } from './reconcile-errors';
import { applyReconciliationFix } from './reconcile-fixes';
import type { Finding, ReconcileDependencies, ReconciliationFix } from './reconcile-types';

/** Who the automatic side of reconciliation is, in diffs and the audit log. */
export const RECONCILIATION_ACTOR = 'reconciliation (automatic)';

/**
 * Records a finding still to be looked at. An open or ignored diff of the same kind, order and
 * subject is the same diff: it is seen again, not added (the partial unique index decides).
 */
export async function recordOpenDiff(db: Executor, runId: number, finding: Finding): Promise<{ id: number; opened: boolean }> {
  const [row] = await db.execute<{ id: number; opened: boolean }>(sql`
    insert into reconciliation_diffs (run_id, last_run_id, kind, order_id, subject, ours, theirs, fix, summary)
    values (${runId}, ${runId}, ${finding.kind}, ${finding.orderId}, ${finding.subject},
            ${JSON.stringify(finding.ours)}::jsonb, ${JSON.stringify(finding.theirs)}::jsonb, ${finding.fix}, ${finding.summary})
    on conflict (kind, order_id, subject) where status in ('open', 'ignored') do update
      set last_run_id = excluded.last_run_id, last_seen_at = now(), seen_count = reconciliation_diffs.seen_count + 1,
          ours = excluded.ours, theirs = excluded.theirs, fix = excluded.fix, summary = excluded.summary
    returning id::int as id, (xmax = 0) as opened`);
  return row!;
}

/** Records a finding that was fixed automatically: an open diff for it becomes auto-fixed, or a new auto-fixed row is added. */
export async function recordAutoFixedDiff(db: Executor, runId: number, finding: Finding, resolution: string): Promise<number> {
  const [updated] = await db.execute<{ id: number }>(sql`
    update reconciliation_diffs
       set status = 'auto_fixed', resolved_at = now(), resolved_by = ${RECONCILIATION_ACTOR}, resolution = ${resolution},
           last_run_id = ${runId}, last_seen_at = now(), ours = ${JSON.stringify(finding.ours)}::jsonb, theirs = ${JSON.stringify(finding.theirs)}::jsonb
     where kind = ${finding.kind} and order_id = ${finding.orderId} and subject = ${finding.subject} and status = 'open'
    returning id::int as id`);
  if (updated) return updated.id;
  const [inserted] = await db
    .insert(reconciliationDiffs)
    .values({
      runId,
      lastRunId: runId,
      kind: finding.kind,
      orderId: finding.orderId,
      subject: finding.subject,
      ours: finding.ours,
      theirs: finding.theirs,
      fix: finding.fix,
      summary: finding.summary,
      status: 'auto_fixed',
      resolvedAt: new Date(),
      resolvedBy: RECONCILIATION_ACTOR,
      resolution,
    })
    .returning({ id: reconciliationDiffs.id });
  return inserted!.id;
}

/** Open diffs of an order that this run did not find again: they no longer differ. */
export async function clearSettledDiffs(db: Executor, runId: number, orderId: string, found: Finding[]): Promise<number> {
  const keys = found.map((finding) => `${finding.kind}|${finding.subject}`);
  const cleared = await db.execute(sql`
    update reconciliation_diffs
       set status = 'resolved', resolved_at = now(), resolved_by = ${RECONCILIATION_ACTOR},
           resolution = ${`No longer differs (checked again in run ${runId}).`}, last_run_id = ${runId}
     where order_id = ${orderId} and status = 'open'
       and not (kind || '|' || subject = any(${sql.param(keys)}::text[]))
    returning id`);
  return cleared.length;
}

/** An automatic fix leaves an audit row like a console action, with the reconciliation as actor. */
export async function auditAutomaticFix(db: Executor, entry: { diffId: number; orderId: string; fix: ReconciliationFix; summary: string; result: string; ok: boolean }) {
  await db.insert(auditLog).values({
    actorEmail: RECONCILIATION_ACTOR,
    action: `reconciliation.autoFix.${entry.fix}`,
    target: entry.orderId,
    reason: entry.summary,
    input: { diffId: entry.diffId, orderId: entry.orderId, fix: entry.fix },
    outcome: entry.ok ? 'ok' : 'error',
    message: entry.ok ? null : entry.result,
    result: entry.ok ? { diffId: entry.diffId, done: entry.result } : null,
  });
}

export interface DiffFilter {
  kind?: string;
  status?: ReconciliationDiffStatus;
  orderId?: string;
  runId?: number;
  cursor?: number;
  limit: number;
}

/** Diffs newest first, filtered by kind and status (served by reconciliation_diffs_kind_idx / _status_idx). */
export async function listDiffs(db: Executor, filter: DiffFilter) {
  const conditions: SQL[] = [];
  if (filter.kind) conditions.push(eq(reconciliationDiffs.kind, filter.kind));
  if (filter.status) conditions.push(eq(reconciliationDiffs.status, filter.status));
  if (filter.orderId) conditions.push(eq(reconciliationDiffs.orderId, filter.orderId));
  if (filter.runId) conditions.push(sql`${filter.runId} in (${reconciliationDiffs.runId}, ${reconciliationDiffs.lastRunId})`);
  if (filter.cursor) conditions.push(lt(reconciliationDiffs.id, filter.cursor));
  const rows = await db
    .select()
    .from(reconciliationDiffs)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(reconciliationDiffs.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  return { diffs: page, nextCursor: rows.length > filter.limit ? page[page.length - 1]!.id : null };
}

/** Open diffs by kind, for the page's summary and the nav. */
export async function openDiffCounts(db: Executor): Promise<Record<string, number>> {
  const rows = await db.execute<{ kind: string; count: number }>(sql`
    select kind, count(*)::int as count from reconciliation_diffs where status = 'open' group by kind`);
  return Object.fromEntries(rows.map((row) => [row.kind, row.count]));
}

async function lockOpenDiff(tx: Executor, diffId: number) {
  const [diff] = await tx.select().from(reconciliationDiffs).where(eq(reconciliationDiffs.id, diffId)).for('update');
  if (!diff) throw new DomainError('NOT_FOUND', `Diff ${diffId} does not exist.`);
  if (diff.status !== 'open') throw new DomainError('CONFLICT', `Diff ${diffId} is already ${diff.status.replace('_', '-')} by ${diff.resolvedBy ?? 'someone'}.`);
  return diff;
}

/** A person closes a diff: resolved (they fixed it elsewhere) or ignored (not worth fixing; it will not reopen). */
export async function closeDiff(db: Database, input: { diffId: number; status: 'resolved' | 'ignored'; note: string; actor: string }) {
  return db.transaction(async (tx) => {
    await lockOpenDiff(tx, input.diffId);
    const [diff] = await tx
      .update(reconciliationDiffs)
      .set({ status: input.status, resolvedAt: new Date(), resolvedBy: input.actor, resolution: input.note })
      .where(eq(reconciliationDiffs.id, input.diffId))
      .returning();
    return diff!;
  });
}

/**
 * A person applies the diff's fix. The fix is not run inside a lock on the diff (it calls
 * third parties); it is idempotent instead (payment id, order id at the WMS, refund id), and
 * only a diff still open is closed by it.
 */
export async function applyDiffFix(db: Database, dependencies: ReconcileDependencies, input: { diffId: number; note: string; actor: string }) {
  const [peek] = await db.select().from(reconciliationDiffs).where(eq(reconciliationDiffs.id, input.diffId));
  if (!peek) throw new DomainError('NOT_FOUND', `Diff ${input.diffId} does not exist.`);
  if (peek.status !== 'open') throw new DomainError('CONFLICT', `Diff ${input.diffId} is already ${peek.status.replace('_', '-')} by ${peek.resolvedBy ?? 'someone'}.`);
  if (!peek.fix) throw new DomainError('PRECONDITION_FAILED', `Diff ${input.diffId} (${peek.kind}) has no certain fix: resolve it with a note once you have fixed it by hand.`);
  const fix = peek.fix as ReconciliationFix;
  let result: string;
  try {
    result = await applyReconciliationFix(db, dependencies, { fix, orderId: peek.orderId, subject: peek.subject }, input.actor);
  } catch (error) {
    throw reconciliationFailure(error, `applying the fix to diff ${input.diffId}`);
  }
  const [diff] = await db
    .update(reconciliationDiffs)
    .set({ status: 'resolved', resolvedAt: new Date(), resolvedBy: input.actor, resolution: `Fix applied: ${result} Note: ${input.note}` })
    .where(and(eq(reconciliationDiffs.id, input.diffId), eq(reconciliationDiffs.status, 'open')))
    .returning();
  if (!diff) throw new DomainError('CONFLICT', `Diff ${input.diffId} was closed by someone else while the fix ran; the fix itself is idempotent.`);
  return { diff, result };
}
