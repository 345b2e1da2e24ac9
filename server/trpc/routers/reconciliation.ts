import { z } from 'zod';
import { reconciliationDiffStatusEnum } from '@/db/schema';
import { applyDiffFix, closeDiff, listDiffs, openDiffCounts } from '@/server/ops/reconciliation/reconcile-diffs';
import { listRuns, runReconciliation } from '@/server/ops/reconciliation/reconcile-run';
import { defaultReconcileDependencies, DIFF_KINDS } from '@/server/ops/reconciliation/reconcile-types';
import { mutationInput, router, supportProcedure, viewerProcedure } from '../init';

const diffKind = z.enum(Object.keys(DIFF_KINDS) as [keyof typeof DIFF_KINDS, ...(keyof typeof DIFF_KINDS)[]]);

export const reconciliationRouter = router({
  runs: viewerProcedure.input(z.object({ limit: z.number().int().min(1).max(100).default(20) })).query(({ ctx, input }) => listRuns(ctx.db, input)),

  diffs: viewerProcedure
    .input(
      z.object({
        kind: diffKind.optional(),
        status: z.enum(reconciliationDiffStatusEnum.enumValues).optional(),
        orderId: z.string().trim().max(200).optional(),
        runId: z.number().int().optional(),
        cursor: z.number().int().optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => listDiffs(ctx.db, input)),

  summary: viewerProcedure.query(async ({ ctx }) => ({ openByKind: await openDiffCounts(ctx.db), kinds: DIFF_KINDS })),

  runNow: supportProcedure
    .input(mutationInput({ autoFix: z.boolean().default(true) }))
    .mutation(({ ctx, input }) => runReconciliation(ctx.db, {
        trigger: 'manual',
        startedBy: ctx.actor.email,
        autoFix: input.autoFix,
        // A person pressing "run now" wants what happened up to now; every fix is idempotent, so an in-flight notification does no harm.
        settings: { settleMs: 0 },
        progress: { reason: input.reason },
      })),

  applyFix: supportProcedure
    .meta({ auditTarget: 'diffId' })
    .input(mutationInput({ diffId: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      const { diff, result } = await applyDiffFix(ctx.db, defaultReconcileDependencies(), { diffId: input.diffId, note: input.reason, actor: ctx.actor.email });
      return { id: diff.id, orderId: diff.orderId, status: diff.status, result };
    }),

  resolve: supportProcedure
    .meta({ auditTarget: 'diffId' })
    .input(mutationInput({ diffId: z.number().int(), status: z.enum(['resolved', 'ignored']) }))
    .mutation(async ({ ctx, input }) => {
      const diff = await closeDiff(ctx.db, { diffId: input.diffId, status: input.status, note: input.reason, actor: ctx.actor.email });
      return { id: diff.id, orderId: diff.orderId, status: diff.status };
    }),
});
