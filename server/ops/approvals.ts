import { createHash } from 'node:crypto';
import { and, desc, eq, gt, lt, lte, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { approvals, users, type Approval, type Role } from '@/db/schema';
import { hasRole } from '@/shared/roles';
import { DomainError } from '@/server/errors';
import { wholeNumberSetting } from '@/server/runtime/settings';
import type { AuditActor } from './audit';

/** How long a request waits for a second person before it can no longer be approved. */
export function approvalExpiryHours(): number {
  return wholeNumberSetting('APPROVAL_EXPIRY_HOURS', 24, { min: 1, max: 24 * 30 });
}

/**
 * Thrown by a command that found it would act on more rows than one person may touch alone.
 * `input` is the exact selection it counted (ids, not a filter), so what a second person
 * approves is what runs, however the filter's matches change meanwhile.
 */
export class ApprovalRequired extends Error {
  constructor(readonly summary: string, readonly input: Record<string, unknown>) {
    super(`Needs a second person's approval: ${summary}.`);
    this.name = 'ApprovalRequired';
  }
}

/** Pending requests past their deadline become expired; run before anything reads or decides pending ones. */
export async function expireApprovals(db: Executor): Promise<void> {
  await db.update(approvals).set({ status: 'expired' }).where(and(eq(approvals.status, 'pending'), lte(approvals.expiresAt, sql`now()`)));
}

/** Fields that describe the request rather than the action; two requests differing only in these are the same action. */
const requestFields = new Set(['reason', 'requestId']);

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key, entry]) => !requestFields.has(key) && entry !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, entry]) => [key, canonical(entry)]),
    );
  }
  return value;
}

export function actionInput(input: unknown): unknown {
  return canonical(input) ?? {};
}

export function actionInputHash(input: unknown): string {
  return createHash('sha256').update(JSON.stringify(actionInput(input))).digest('hex');
}

export interface ApprovalRequest {
  action: string;
  summary: string;
  input: unknown;
  requiredRole: Role;
  requester: AuditActor;
  reason: string;
}

/** Opens a request, or returns the requester's open request for the very same action. */
export async function requestApproval(db: Executor, request: ApprovalRequest): Promise<Approval> {
  const inputHash = actionInputHash(request.input);
  // An expired request must not be found as "the open one" for the same action.
  await expireApprovals(db);
  const [created] = await db
    .insert(approvals)
    .values({
      action: request.action,
      summary: request.summary,
      input: actionInput(request.input),
      inputHash,
      requiredRole: request.requiredRole,
      requestedById: request.requester.id,
      requestedByEmail: request.requester.email,
      requestedByRole: request.requester.role,
      reason: request.reason,
      expiresAt: sql`now() + make_interval(hours => ${approvalExpiryHours()})`,
    })
    .onConflictDoNothing()
    .returning();
  if (created) return created;
  const [open] = await db
    .select()
    .from(approvals)
    .where(and(eq(approvals.requestedById, request.requester.id), eq(approvals.action, request.action), eq(approvals.inputHash, inputHash), eq(approvals.status, 'pending')));
  if (!open) throw new DomainError('CONFLICT', 'The same request was just decided; send it again if it is still needed.');
  return open;
}

export interface ClaimedApproval {
  approval: Approval;
  /** The requester as they are now (their current role), whom the approved action runs as. */
  requester: AuditActor;
}

/**
 * Takes a pending request for execution by its approver. Only one approver can win (the
 * status guard), and never the requester: the point is a second person. A request past its
 * deadline, or whose requester no longer holds the role it needs, is closed instead of run.
 */
export async function claimApproval(db: Executor, input: { approvalId: number; approver: AuditActor; note?: string }): Promise<ClaimedApproval> {
  await expireApprovals(db);
  const [approval] = await db.select().from(approvals).where(eq(approvals.id, input.approvalId));
  if (!approval) throw new DomainError('NOT_FOUND', `No approval request #${input.approvalId}.`);
  if (approval.status === 'expired') {
    throw new DomainError('CONFLICT', `Request #${approval.id} expired at ${approval.expiresAt.toISOString()} without a decision; the requester must send it again if it is still needed.`);
  }
  if (approval.requestedById === input.approver.id) {
    throw new DomainError('FORBIDDEN', 'You asked for this action yourself: a second person must approve it.');
  }
  if (!hasRole(input.approver.role, approval.requiredRole)) {
    throw new DomainError('FORBIDDEN', `Approving this needs the ${approval.requiredRole} role; yours is ${input.approver.role}.`);
  }
  if (approval.status !== 'pending') throw new DomainError('CONFLICT', `Request #${approval.id} is already ${approval.status}.`);

  const [requester] = await db.select({ id: users.id, email: users.email, role: users.role }).from(users).where(eq(users.id, approval.requestedById));
  if (!requester || !hasRole(requester.role, approval.requiredRole)) {
    const now = requester ? `is now ${requester.role}` : 'no longer has an account';
    const error = `The requester ${approval.requestedByEmail} ${now} and may not ${approval.action} any more (it needs ${approval.requiredRole}); the request is closed without running.`;
    await db
      .update(approvals)
      .set({ status: 'failed', error, decidedById: input.approver.id, decidedByEmail: input.approver.email, decisionNote: input.note ?? null, decidedAt: new Date() })
      .where(and(eq(approvals.id, approval.id), eq(approvals.status, 'pending')));
    throw new DomainError('FORBIDDEN', error);
  }

  const [claimed] = await db
    .update(approvals)
    .set({ status: 'executing', decidedById: input.approver.id, decidedByEmail: input.approver.email, decisionNote: input.note ?? null, decidedAt: new Date() })
    .where(and(eq(approvals.id, approval.id), eq(approvals.status, 'pending'), gt(approvals.expiresAt, sql`now()`)))
    .returning();
  if (!claimed) throw new DomainError('CONFLICT', `Request #${approval.id} was decided or expired a moment ago; refresh the list.`);
  return { approval: claimed, requester };
}

export async function finishApproval(db: Executor, approvalId: number, outcome: { ok: true; result: unknown } | { ok: false; error: string }) {
  await db
    .update(approvals)
    .set(outcome.ok ? { status: 'executed', result: JSON.parse(JSON.stringify(outcome.result ?? null)) } : { status: 'failed', error: outcome.error })
    .where(eq(approvals.id, approvalId));
}

export async function rejectApproval(db: Executor, input: { approvalId: number; approver: AuditActor; note: string }): Promise<Approval> {
  await expireApprovals(db);
  const [rejected] = await db
    .update(approvals)
    .set({ status: 'rejected', decidedById: input.approver.id, decidedByEmail: input.approver.email, decisionNote: input.note, decidedAt: new Date() })
    .where(and(eq(approvals.id, input.approvalId), eq(approvals.status, 'pending')))
    .returning();
  if (!rejected) throw new DomainError('CONFLICT', `Request #${input.approvalId} is not pending any more.`);
  return rejected;
}

export async function listApprovals(db: Executor, input: { status?: Approval['status']; cursor?: number; limit: number }) {
  await expireApprovals(db);
  const rows = await db
    .select()
    .from(approvals)
    .where(and(input.status ? eq(approvals.status, input.status) : undefined, input.cursor ? lt(approvals.id, input.cursor) : undefined))
    .orderBy(desc(approvals.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { approvals: page, nextCursor: rows.length > input.limit ? page[page.length - 1]!.id : null };
}

/** Read by every page's badge, so it does not write: a request past its deadline is simply not counted. */
export async function countPendingApprovals(db: Executor): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(approvals)
    .where(and(eq(approvals.status, 'pending'), gt(approvals.expiresAt, sql`now()`)));
  return row?.n ?? 0;
}
