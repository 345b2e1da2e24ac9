import { createHash } from 'node:crypto';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { approvals, type Approval, type Role } from '@/db/schema';
import { hasRole } from '@/shared/roles';
import { DomainError } from '@/server/errors';
import type { AuditActor } from './audit';

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

/**
 * Takes a pending request for execution by its approver. Only one approver can win (the
 * status guard), and never the requester: the point is a second person.
 */
export async function claimApproval(db: Executor, input: { approvalId: number; approver: AuditActor; note?: string }): Promise<Approval> {
  const [approval] = await db.select().from(approvals).where(eq(approvals.id, input.approvalId));
  if (!approval) throw new DomainError('NOT_FOUND', `No approval request #${input.approvalId}.`);
  if (approval.requestedById === input.approver.id) {
    throw new DomainError('FORBIDDEN', 'You asked for this action yourself: a second person must approve it.');
  }
  if (!hasRole(input.approver.role, approval.requiredRole)) {
    throw new DomainError('FORBIDDEN', `Approving this needs the ${approval.requiredRole} role; yours is ${input.approver.role}.`);
  }
  const [claimed] = await db
    .update(approvals)
    .set({ status: 'executing', decidedById: input.approver.id, decidedByEmail: input.approver.email, decisionNote: input.note ?? null, decidedAt: new Date() })
    .where(and(eq(approvals.id, approval.id), eq(approvals.status, 'pending')))
    .returning();
  if (!claimed) throw new DomainError('CONFLICT', `Request #${approval.id} is already ${approval.status}.`);
  return claimed;
}

export async function finishApproval(db: Executor, approvalId: number, outcome: { ok: true; result: unknown } | { ok: false; error: string }) {
  await db
    .update(approvals)
    .set(outcome.ok ? { status: 'executed', result: JSON.parse(JSON.stringify(outcome.result ?? null)) } : { status: 'failed', error: outcome.error })
    .where(eq(approvals.id, approvalId));
}

export async function rejectApproval(db: Executor, input: { approvalId: number; approver: AuditActor; note: string }): Promise<Approval> {
  const [rejected] = await db
    .update(approvals)
    .set({ status: 'rejected', decidedById: input.approver.id, decidedByEmail: input.approver.email, decisionNote: input.note, decidedAt: new Date() })
    .where(and(eq(approvals.id, input.approvalId), eq(approvals.status, 'pending')))
    .returning();
  if (!rejected) throw new DomainError('CONFLICT', `Request #${input.approvalId} is not pending any more.`);
  return rejected;
}

export async function listApprovals(db: Executor, input: { status?: Approval['status']; cursor?: number; limit: number }) {
  const rows = await db
    .select()
    .from(approvals)
    .where(and(input.status ? eq(approvals.status, input.status) : undefined, input.cursor ? lt(approvals.id, input.cursor) : undefined))
    .orderBy(desc(approvals.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { approvals: page, nextCursor: rows.length > input.limit ? page[page.length - 1]!.id : null };
}

export async function countPendingApprovals(db: Executor): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(approvals).where(eq(approvals.status, 'pending'));
  return row?.n ?? 0;
}
