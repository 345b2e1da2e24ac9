import { and, desc, eq, gte, ilike, lte, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { auditLog, type AuditOutcome, type Role } from '@/db/schema';
import { wholeNumberSetting } from '@/server/runtime/settings';

export interface AuditActor {
  id: string;
  email: string;
  role: Role;
  /** Set after an admin forced a password reset: until a new one is set the user may do nothing else. */
  mustChangePassword?: boolean;
}

export interface AuditAttempt {
  actor: AuditActor | null;
  action: string;
  target?: string | null;
  reason?: string | null;
  input?: unknown;
  requestId?: string | null;
}

/**
 * Keys whose values are secrets wherever they appear in an input or result (compared without
 * `-`/`_` and case): `password`, `newPassword`, `token`, `webhook_secret`, `apiKey`, ...
 * A key that only starts with one (`tokenId`, `tokenHash`) names something that is not secret.
 */
const secretKey = /(password|passwd|passphrase|secret|token|apikey|authorization|cookie|credentials?|signature|privatekey)$/i;

/** Our tokens all start `cv<letter>_` (feed `cvf_`, storefront `cvs_`): one is a secret wherever it is written. */
const ourTokenValue = /\bcv[a-z]_[A-Za-z0-9_-]{8,}/g;

export const REDACTED = '[redacted]';

/** A copy of `value` with every secret removed: by key name, and any string that holds one of our tokens. */
export function redactSecrets(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(ourTokenValue, REDACTED);
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, field]) => [key, secretKey.test(key.replace(/[-_]/g, '')) && field != null ? REDACTED : redactSecrets(field)]),
    );
  }
  return value;
}

/** Records an attempt that did not run (no role, no session, bad input, waiting for approval). */
export async function recordRefusedAttempt(db: Executor, attempt: AuditAttempt, outcome: Extract<AuditOutcome, 'denied' | 'error' | 'awaiting_approval'>, message: string) {
  await db.insert(auditLog).values({ ...auditColumns(attempt), outcome, message });
}

/** The anonymous_denials row that counts every address together. */
export const ALL_ADDRESSES = '*';

/**
 * Records that an anonymous caller was refused `action`: without anything it sent, and only the
 * first AUDIT_ANONYMOUS_PER_MINUTE of a minute per address and AUDIT_ANONYMOUS_TOTAL_PER_MINUTE
 * in all (an address a client can claim freely must not lift the limit); the rest are only
 * counted in anonymous_denials. One statement, so concurrent floods cannot overshoot.
 */
export async function recordAnonymousDenial(db: Executor, denial: { action: string; clientAddress: string }) {
  const perAddress = wholeNumberSetting('AUDIT_ANONYMOUS_PER_MINUTE', 20);
  const total = wholeNumberSetting('AUDIT_ANONYMOUS_TOTAL_PER_MINUTE', 200);
  const [counted] = await db.execute<{ total: number }>(sql`
    with in_total as (
      insert into anonymous_denials as d (client_address, minute, attempts) values (${ALL_ADDRESSES}, date_trunc('minute', now()), 1)
      on conflict (client_address, minute) do update set attempts = d.attempts + 1
      returning attempts
    ), by_address as (
      insert into anonymous_denials as d (client_address, minute, attempts)
      select ${denial.clientAddress}, date_trunc('minute', now()), 1 from in_total where attempts <= ${total}
      on conflict (client_address, minute) do update set attempts = d.attempts + 1
      returning attempts
    ), written as (
      insert into audit_log (action, outcome, message)
      select ${denial.action}, 'denied', ${`Anonymous call from ${denial.clientAddress} refused: sign in to continue.`}
      from by_address where attempts <= ${perAddress}
    )
    select attempts as total from in_total`);
  // Once a minute, the counts of past days go: they answer "how big was the flood", not "who".
  if (counted?.total === 1) await db.execute(sql`delete from anonymous_denials where minute < now() - interval '1 day'`);
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
    .set({ outcome, result: detail.result === undefined ? null : redactSecrets(toJson(detail.result)), message: detail.message ?? null })
    .where(eq(auditLog.id, auditId));
}

function auditColumns(attempt: AuditAttempt) {
  return {
    actorId: attempt.actor?.id ?? null,
    actorEmail: attempt.actor?.email ?? null,
    actorRole: attempt.actor?.role ?? null,
    action: attempt.action,
    target: attempt.target ?? null,
    reason: (redactSecrets(attempt.reason?.trim()) as string | undefined) || null,
    input: attempt.input === undefined ? null : redactSecrets(toJson(attempt.input)),
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
const summaryColumns = {
  id: auditLog.id,
  at: auditLog.at,
  actorEmail: auditLog.actorEmail,
  actorRole: auditLog.actorRole,
  action: auditLog.action,
  target: auditLog.target,
  reason: auditLog.reason,
  outcome: auditLog.outcome,
  message: auditLog.message,
};

export async function listAuditEntries(db: Executor, filter: AuditFilter, options: { withInputs: boolean }) {
  const conditions: SQL[] = [];
  if (filter.actor) conditions.push(ilike(auditLog.actorEmail, `%${filter.actor}%`));
  if (filter.action) conditions.push(ilike(auditLog.action, `%${filter.action}%`));
  if (filter.target) conditions.push(eq(auditLog.target, filter.target));
  if (filter.outcome) conditions.push(eq(auditLog.outcome, filter.outcome));
  if (filter.from) conditions.push(gte(auditLog.at, filter.from));
  if (filter.to) conditions.push(lte(auditLog.at, filter.to));
  // A row comparison, which audit_log_at_idx serves as one range; the same test spelled with `or` was a scan from the newest row.
  if (filter.cursor) conditions.push(sql`(${auditLog.at}, ${auditLog.id}) < ((select at from audit_log where id = ${filter.cursor}), ${filter.cursor})`);
  // Inputs and results are for admins: other roles see who did what, to what, why, and how it ended.
  const columns = options.withInputs
    ? { ...summaryColumns, input: auditLog.input, result: auditLog.result, requestId: auditLog.requestId }
    : summaryColumns;
  const rows = await db
    .select(columns)
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  return { entries: page, nextCursor: rows.length > filter.limit ? page[page.length - 1]!.id : null };
}
