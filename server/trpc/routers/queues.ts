import { z } from 'zod';
import { getQueueOverview } from '@/server/ops/queue-overview';
import { getLagHistory, pauseGroup, resetGroupOffsets, resumeGroup } from '@/server/pipeline';
import { offsetResetNeedsApproval } from '@/server/ops/approval-policies';
import { mutationInput, oncallProcedure, router, viewerProcedure } from '../init';

const group = z.string().trim().min(1, 'Choose a consumer group').max(200);
const resetTarget = z.object({ group, time: z.coerce.date(), partitions: z.array(z.number().int().min(0)).optional() });

export const queuesRouter = router({
  overview: viewerProcedure.query(({ ctx }) => getQueueOverview(ctx.db)),

  lagHistory: viewerProcedure
    .input(z.object({ group: z.string().optional(), minutes: z.number().int().min(5).max(24 * 60).default(60) }))
    .query(({ ctx, input }) => getLagHistory(ctx.db, { group: input.group || undefined, since: new Date(Date.now() - input.minutes * 60_000) })),

  /** Dry run of an offset reset: exactly the counts the real reset would act on. */
  previewReset: viewerProcedure
    .input(resetTarget)
    .query(({ ctx, input }) => resetGroupOffsets(ctx.db, { group: input.group, to: { time: input.time }, partitions: input.partitions, actor: ctx.actor.email, dryRun: true })),

  resetOffsets: oncallProcedure
    .meta({ auditTarget: 'group', needsApproval: offsetResetNeedsApproval })
    .input(mutationInput(resetTarget.shape))
    .mutation(({ ctx, input }) => resetGroupOffsets(ctx.db, { group: input.group, to: { time: input.time }, partitions: input.partitions, actor: ctx.actor.email })),

  pause: oncallProcedure
    .meta({ auditTarget: 'group' })
    .input(mutationInput({ group }))
    .mutation(({ ctx, input }) => pauseGroup(ctx.db, { group: input.group, actor: ctx.actor.email })),

  resume: oncallProcedure
    .meta({ auditTarget: 'group' })
    .input(mutationInput({ group }))
    .mutation(({ ctx, input }) => resumeGroup(ctx.db, { group: input.group, actor: ctx.actor.email })),
});
