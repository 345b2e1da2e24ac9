import 'server-only';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { z, ZodError } from 'zod';
import type { Database } from '@/db/client';
import type { Role } from '@/db/schema';
import { hasRole } from '@/shared/roles';
import { asDatabaseUnavailable, DomainError, isDomainError } from '@/server/errors';
import { ApprovalRequired, requestApproval } from '@/server/ops/approvals';
import { beginAuditedAction, finishAuditedAction, recordAnonymousDenial, recordRefusedAttempt, type AuditActor } from '@/server/ops/audit';
import { trpcCalls } from '@/server/ops/metrics';

export interface Context {
  db: Database;
  /** The signed-in user, or null for an anonymous caller. */
  actor: AuditActor | null;
  /** The signed-in caller's session, so a password change can keep it while revoking the others. */
  sessionId?: string;
  /** The caller's address (TRUSTED_PROXIES applied), for rate-limiting what anonymous callers leave in the audit log. */
  clientAddress?: string;
  /** Set only by the approvals service when it runs an approved request as its requester. */
  approvedBy?: { approvalId: number; approver: AuditActor };
}

export interface ProcedureMeta {
  /** Set by the role procedures below; the access test walks the router by it. */
  requiredRole?: Role;
  /** Name of the input field that identifies what a mutation acts on, for the audit log. */
  auditTarget?: string;
  /**
   * For actions that always or by their input need a second person: given the (raw) input, a
   * one-line summary when this call needs approval, or null when it may run at once. Actions
   * whose need depends on how many rows they touch throw ApprovalRequired from their command
   * instead, with the exact rows they counted.
   */
  needsApproval?: (input: Record<string, unknown>) => string | null;
  /** May be called by a user who must first set a new password (the password change itself, who am I). */
  allowedBeforePasswordChange?: boolean;
}

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error }) {
      const zodError = error.cause instanceof ZodError ? error.cause : null;
      return {
        ...shape,
        // A validation failure reads as one sentence an operator can act on.
        message: zodError ? zodError.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; ') : shape.message,
        data: { ...shape.data, fieldErrors: zodError ? z.flattenError(zodError).fieldErrors : null },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** The single place where a domain error becomes a tRPC code (and so an HTTP status). */
export function toTrpcError(error: DomainError): TRPCError {
  return new TRPCError({ code: error.kind, message: error.message, cause: error });
}

/** Every procedure runs inside this: counts calls, and turns a database outage into a 503 instead of a 500. */
const observed = t.middleware(async ({ path, type, next }) => {
  const result = await next();
  const outage = result.ok ? null : asDatabaseUnavailable(result.error);
  trpcCalls().inc({ path, type, code: result.ok ? 'OK' : outage ? outage.kind : result.error.code });
  if (outage) throw toTrpcError(outage);
  return result;
});

/** The longest reason a mutation accepts: enough for a sentence or two and a ticket link, not a pasted log. */
export const MAX_REASON_LENGTH = 500;

/** Every mutation carries a reason and may carry a request id that makes a repeat act once. */
export const mutationInput = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.object({
    ...shape,
    reason: z
      .string()
      .trim()
      .min(3, 'Give a reason (at least 3 characters): it is kept in the audit log')
      .max(MAX_REASON_LENGTH, `Keep the reason to ${MAX_REASON_LENGTH} characters or fewer`),
    requestId: z.string().min(8).max(100).optional(),
  });

interface RawMutationInput {
  reason?: unknown;
  requestId?: unknown;
}

function describeAttempt(path: string, raw: unknown, meta: ProcedureMeta | undefined) {
  const input = (raw && typeof raw === 'object' ? raw : {}) as RawMutationInput & Record<string, unknown>;
  const targetValue = meta?.auditTarget ? input[meta.auditTarget] : undefined;
  return {
    action: path,
    target: targetValue === undefined ? null : Array.isArray(targetValue) ? targetValue.join(',') : String(targetValue),
    reason: typeof input.reason === 'string' ? input.reason : null,
    requestId: typeof input.requestId === 'string' ? input.requestId : null,
    input: raw,
  };
}

function roleProcedure(required: Role) {
  return t.procedure
    .meta({ requiredRole: required })
    .use(observed)
    .use(async ({ ctx, type, path, meta, getRawInput, next }) => {
      if (!ctx.actor) {
        // An anonymous body is neither parsed nor stored: only which procedure was refused, and from where.
        if (type === 'mutation') await recordAnonymousDenial(ctx.db, { action: path, clientAddress: ctx.clientAddress ?? 'unknown' });
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
      }
      const attempt = type === 'mutation' ? describeAttempt(path, await getRawInput(), meta) : null;

      if (!hasRole(ctx.actor.role, required)) {
        const message = `Your role (${ctx.actor.role}) cannot do this: it needs ${required}. Ask an admin if you need it.`;
        if (attempt) await recordRefusedAttempt(ctx.db, { ...attempt, actor: ctx.actor }, 'denied', message);
        throw new TRPCError({ code: 'FORBIDDEN', message });
      }
      if (ctx.actor.mustChangePassword && !meta?.allowedBeforePasswordChange) {
        const message = 'An admin asked you to set a new password: set it on the Account page, then carry on.';
        if (attempt) await recordRefusedAttempt(ctx.db, { ...attempt, actor: ctx.actor }, 'denied', message);
        throw new TRPCError({ code: 'FORBIDDEN', message });
      }
      const actor = ctx.actor;
      if (!attempt) {
        const result = await next({ ctx: { actor } });
        if (!result.ok && isDomainError(result.error.cause)) throw toTrpcError(result.error.cause);
        return result;
      }

      if (!attempt.reason || attempt.reason.trim().length < 3) {
        const message = 'Give a reason (at least 3 characters): it is kept in the audit log.';
        await recordRefusedAttempt(ctx.db, { ...attempt, actor }, 'error', message);
        throw new TRPCError({ code: 'BAD_REQUEST', message });
      }

      const approvalSummary = ctx.approvedBy ? null : meta?.needsApproval?.((attempt.input ?? {}) as Record<string, unknown>);
      if (approvalSummary) {
        const message = await fileApprovalRequest(ctx.db, { action: path, summary: approvalSummary, input: attempt.input, requiredRole: required, requester: actor, reason: attempt.reason });
        await recordRefusedAttempt(ctx.db, { ...attempt, actor }, 'awaiting_approval', message);
        throw new TRPCError({ code: 'PRECONDITION_FAILED', message });
      }

      const begun = await beginAuditedAction(ctx.db, { ...attempt, actor });
      // A repeat of a finished request answers with the first result without running again;
      // tRPC's result type carries a brand (`marker`) that only next() sets, hence the cast.
      if (begun.kind === 'done') return { ok: true as const, data: begun.result, marker: undefined as never };
      if (begun.kind === 'in-progress') {
        throw new TRPCError({ code: 'CONFLICT', message: 'This request is already being processed; refresh in a moment to see its result.' });
      }

      const result = await next({ ctx: { actor } });
      if (result.ok) {
        await finishAuditedAction(ctx.db, begun.auditId, 'ok', { result: result.data });
        return result;
      }
      if (result.error.cause instanceof ApprovalRequired) {
        const need = result.error.cause;
        const message = await fileApprovalRequest(ctx.db, { action: path, summary: need.summary, input: need.input, requiredRole: required, requester: actor, reason: attempt.reason });
        await finishAuditedAction(ctx.db, begun.auditId, 'awaiting_approval', { message });
        throw new TRPCError({ code: 'PRECONDITION_FAILED', message });
      }
      const error = isDomainError(result.error.cause) ? toTrpcError(result.error.cause) : result.error;
      await finishAuditedAction(ctx.db, begun.auditId, 'error', { message: result.error.message });
      throw error;
    });
}

/** Opens (or finds) the approval request and says, in one line, where it waits. */
async function fileApprovalRequest(db: Database, request: Parameters<typeof requestApproval>[1]): Promise<string> {
  const approval = await requestApproval(db, request);
  return `Needs a second person's approval: ${request.summary}. Request #${approval.id} is waiting on the Approvals page.`;
}

export const publicProcedure = t.procedure.use(observed);
export const viewerProcedure = roleProcedure('viewer');
export const supportProcedure = roleProcedure('support');
export const oncallProcedure = roleProcedure('oncall');
export const adminProcedure = roleProcedure('admin');
