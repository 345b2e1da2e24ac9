import { and, desc, eq, gte, ilike, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { auditLog, type AuditOutcome, type Role } from '@/db/schema';

export interface AuditActor {
  id: string;
  email: string;
  role: Role;
}

export interface AuditAttempt {
  actor: AuditActor | null;
  action: string;
  target?: string | null;
  reason?: string | null;
  input?: unknown;
  requestId?: string | null;
}

/** Records an attempt that did not run (no role, no session, bad input, waiting for approval). */
export async function recordRefusedAttempt(db: Executor, attempt: AuditAttempt, outcome: Extract<AuditOutcome, 'denied' | 'error' | 'awaiting_approval'>, message: string) {
  await db.insert(auditLog).values({ ...auditColumns(attempt), outcome, message });
}

export type BeginResult =
  | { kind: 'started'; auditId: number }
  | { kind: 'done'; result: unknown }
  | { kind: 'in-progress' };

/**
 * Opens the audit row of an attempt that is about to run. With a request id, a second
 * submission of the same request (double click, second tab, client retry) finds the first
 * one's row instead: the action runs once and the repeat gets the first result.
 */
export async function beginAuditedAction(db: Executor, attempt: AuditAttempt): Promise<BeginResult> {
  const inserted = await db
    .insert(auditLog)
    .values({ ...auditColumns(attempt), outcome: 'pending' })
    .onConflictDoNothing()
    .returning({ id: auditLog.id });
  if (inserted[0]) return { kind: 'started', auditId: inserted[0].id };

  const [earlier] = await db
    .select({ outcome: auditLog.outcome, result: auditLog.result })
    .from(auditLog)
    .where(and(eq(auditLog.actorId, attempt.actor?.id ?? ''), eq(auditLog.requestId, attempt.requestId ?? ''), sql`${auditLog.outcome} in ('pending', 'ok')`))
    .limit(1);
  if (earlier?.outcome === 'ok') return { kind: 'done', result: earlier.result };
  return { kind: 'in-progress' };
}

export async function finishAuditedAction(db: Executor, auditId: number, outcome: Extract<AuditOutcome, 'ok' | 'error' | 'awaiting_approval'>, detail: { result?: unknown; message?: string }) {
  await db
    .update(auditLog)
    .set({ outcome, result: detail.result === undefined ? null : toJson(detail.result), message: detail.message ?? null })
    .where(eq(auditLog.id, auditId));
}

function auditColumns(attempt: AuditAttempt) {
  return {
    actorId: attempt.actor?.id ?? null,
    actorEmail: attempt.actor?.email ?? null,
    actorRole: attempt.actor?.role ?? null,
    action: attempt.action,
    target: attempt.target ?? null,
    reason: attempt.reason?.trim() || null,
    input: attempt.input === undefined ? null : toJson(attempt.input),
    requestId: attempt.requestId ?? null,
  };
}

/** Round-trips through JSON so dates, bigints and class instances are stored as plain values. */
function toJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null');
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
  /** Id of the last row of the previous page. */
  cursor?: number;
  limit: number;
}

/** Newest first, keyset-paginated on (at, id); served by audit_log_at_idx and the per-column indexes. */
export async function listAuditEntries(db: Executor, filter: AuditFilter) {
  const conditions: SQL[] = [];
  if (filter.actor) conditions.push(ilike(auditLog.actorEmail, `%${filter.actor}%`));
  if (filter.action) conditions.push(ilike(auditLog.action, `%${filter.action}%`));
  if (filter.target) conditions.push(eq(auditLog.target, filter.target));
  if (filter.outcome) conditions.push(eq(auditLog.outcome, filter.outcome));
  if (filter.from) conditions.push(gte(auditLog.at, filter.from));
  if (filter.to) conditions.push(lte(auditLog.at, filter.to));
  if (filter.cursor) {
    const cursorRow = db.select({ at: auditLog.at }).from(auditLog).where(eq(auditLog.id, filter.cursor));
    conditions.push(or(lt(auditLog.at, sql`(${cursorRow})`), and(eq(auditLog.at, sql`(${cursorRow})`), lt(auditLog.id, filter.cursor)))!);
  }
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  return { entries: page, nextCursor: rows.length > filter.limit ? page[page.length - 1]!.id : null };
}
