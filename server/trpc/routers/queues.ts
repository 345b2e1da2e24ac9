import { z } from 'zod';
import { getQueueOverview } from '@/server/ops/queue-overview';
import { getLagHistory, getLogState, pauseGroup, republishEvents, resetGroupOffsets, resumeGroup } from '@/server/pipeline';
import { resetOffsetsWithProgress } from '@/server/ops/reset-offsets-with-progress';
import { pipelineLogSetting } from '@/server/runtime/settings';
import { republishFromOutbox } from '@/server/ops/republish-from-outbox';
import { offsetResetNeedsApproval } from '@/server/ops/approval-policies';
import { mutationInput, oncallProcedure, router, viewerProcedure } from '../init';

const group = z.string().trim().min(1, 'Choose a consumer group').max(200);
const republishSelection = z.object({ since: z.coerce.date(), throughEventId: z.number().int().positive().optional() });
const logStateOutput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('postgres') }),
  z.object({
    kind: z.literal('nats'),
    stream: z.string(),
    messages: z.number(),
    bytes: z.number(),
    firstSequence: z.number(),
    lastSequence: z.number(),
    replicas: z.number(),
    clustered: z.boolean(),
    leader: z.string().nullable(),
    followers: z.array(z.object({ name: z.string(), current: z.boolean(), lag: z.number() })),
    consumers: z.array(
      z.object({
        consumer: z.string(),
        partition: z.number().nullable(),
        pending: z.number(),
        ackPending: z.number(),
        ackFloor: z.number(),
        oldestUnackedAgeMs: z.number().nullable(),
        leader: z.string().nullable(),
      }),
    ),
  }),
]);
const resetTarget = z.object({ group, time: z.coerce.date(), partitions: z.array(z.number().int().min(0)).optional() });

export const queuesRouter = router({
  overview: viewerProcedure.query(({ ctx }) => getQueueOverview(ctx.db, pipelineLogSetting())),

  /** On the NATS log: the stream, its leader and replicas in sync, and each partition consumer's state. */
  logState: viewerProcedure.output(logStateOutput).query(() => getLogState(pipelineLogSetting())),

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
    .mutation(({ ctx, input }) =>
      resetOffsetsWithProgress(ctx.db, { group: input.group, to: { time: input.time }, partitions: input.partitions, actor: ctx.actor.email, reason: input.reason }),
    ),

  /** What a republish from the outbox since a time would put back: the count and the first events. */
  previewRepublish: viewerProcedure
    .input(republishSelection)
    .output(
      z.object({
        dryRun: z.literal(true),
        count: z.number(),
        throughEventId: z.number().nullable(),
        sample: z.array(z.object({ id: z.string(), topic: z.string(), key: z.string(), type: z.string(), loggedAt: z.date() })),
      }),
    )
    .query(async ({ ctx, input }) => {
      const preview = await republishEvents(ctx.db, { ...input, dryRun: true });
      if (!preview.dryRun) throw new Error('a dry run answered as a real run');
      return preview;
    }),

  /** For a broker that lost acknowledged messages; the processed marks make it harmless for events already handled. */
  republish: oncallProcedure
    .meta({ auditTarget: 'since' })
    .input(mutationInput({ ...republishSelection.shape, expectedCount: z.number().int().min(0).optional() }))
    .output(z.object({ republished: z.number() }))
    .mutation(({ ctx, input }) =>
      republishFromOutbox(ctx.db, { since: input.since, throughEventId: input.throughEventId, expectedCount: input.expectedCount, approved: Boolean(ctx.approvedBy) }),
    ),

  pause: oncallProcedure
    .meta({ auditTarget: 'group' })
    .input(mutationInput({ group }))
    .mutation(({ ctx, input }) => pauseGroup(ctx.db, { group: input.group, actor: ctx.actor.email })),

  resume: oncallProcedure
    .meta({ auditTarget: 'group' })
    .input(mutationInput({ group }))
    .mutation(({ ctx, input }) => resumeGroup(ctx.db, { group: input.group, actor: ctx.actor.email })),
});
