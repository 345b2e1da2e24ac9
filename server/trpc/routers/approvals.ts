import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { approvalStatusEnum } from '@/db/schema';
import { claimApproval, countPendingApprovals, finishApproval, listApprovals, rejectApproval } from '@/server/ops/approvals';
import { mutationInput, router, supportProcedure, viewerProcedure } from '../init';

type Callable = (input: unknown) => Promise<unknown>;

export const approvalsRouter = router({
  list: viewerProcedure
    .input(z.object({ status: z.enum(approvalStatusEnum.enumValues).optional(), cursor: z.number().int().optional(), limit: z.number().int().min(1).max(100).default(50) }))
    .query(({ ctx, input }) => listApprovals(ctx.db, input)),

  pendingCount: viewerProcedure.query(({ ctx }) => countPendingApprovals(ctx.db)),

  /** Approves and runs the request exactly as it was sent, as its requester with the role they hold now. */
  approve: supportProcedure
    .meta({ auditTarget: 'approvalId' })
    .input(mutationInput({ approvalId: z.number().int().positive() }))
    .mutation(async ({ ctx, input }) => {
      const { approval, requester } = await claimApproval(ctx.db, { approvalId: input.approvalId, approver: ctx.actor, note: input.reason });
      // Imported here: the root router includes this one.
      const { createCaller } = await import('../root');
      const caller = createCaller({
        db: ctx.db,
        actor: requester,
        approvedBy: { approvalId: approval.id, approver: ctx.actor },
      });
      const procedure = approval.action.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as Callable;
      try {
        const result = await procedure({
          ...(approval.input as Record<string, unknown>),
          reason: `${approval.reason} (approved by ${ctx.actor.email}: ${input.reason})`,
          requestId: `approval-${approval.id}`,
        });
        await finishApproval(ctx.db, approval.id, { ok: true, result });
        return { approvalId: approval.id, action: approval.action, status: 'executed' as const, result };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await finishApproval(ctx.db, approval.id, { ok: false, error: message });
        throw error instanceof TRPCError ? error : new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message });
      }
    }),

  reject: supportProcedure
    .meta({ auditTarget: 'approvalId' })
    .input(mutationInput({ approvalId: z.number().int().positive() }))
    .mutation(async ({ ctx, input }) => {
      const approval = await rejectApproval(ctx.db, { approvalId: input.approvalId, approver: ctx.actor, note: input.reason });
      return { approvalId: approval.id, status: approval.status };
    }),
});
