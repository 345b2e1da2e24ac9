import { z } from 'zod';
import { DomainError } from '@/server/errors';
import { giveUpRetriesBulk } from '@/server/ops/give-up-retries-bulk';
import { listRetries, previewRetries, type RetryFilter, retryNow } from '@/server/pipeline';
import { mutationInput, oncallProcedure, router, viewerProcedure } from '../init';

const filter = z.object({
  group: z.string().trim().optional(),
  eventType: z.string().trim().optional(),
  key: z.string().trim().optional(),
  errorClass: z.string().trim().optional(),
});

/** Explicit ids (one, or those selected) or a group ("all of a group"); never everything by accident. */
const selection = { ids: z.array(z.number().int()).min(1).max(1000).optional(), filter: filter.optional() };

function scopeOf(input: { ids?: number[]; filter?: z.infer<typeof filter> }): RetryFilter {
  if (input.ids) return { ids: input.ids };
  if (!input.filter?.group) throw new DomainError('BAD_REQUEST', 'Select failed pushes, or choose a group to act on all of its retries.');
  return input.filter;
}

/** The third party a failed attempt called, from the integration name that prefixes its error. */
function thirdPartyOf(lastError: string | null): string | null {
  const name = lastError?.split(' ', 1)[0];
  return name && ['payment', 'wms', 'logistics', 'sms'].includes(name) ? name : null;
}

export const failedPushesRouter = router({
  list: viewerProcedure
    .input(z.object({ filter, cursor: z.number().int().optional(), limit: z.number().int().min(1).max(200).default(50) }))
    .query(async ({ ctx, input }) => {
      const { rows, nextCursor } = await listRetries(ctx.db, input);
      return {
        rows: rows.map(({ payload: _payload, ...retry }) => ({ ...retry, thirdParty: thirdPartyOf(retry.lastError) })),
        nextCursor,
      };
    }),

  preview: viewerProcedure.input(z.object(selection)).query(async ({ ctx, input }) => {
    const { count, sample } = await previewRetries(ctx.db, scopeOf(input));
    return { count, sample: sample.map(({ payload: _payload, ...retry }) => ({ ...retry, thirdParty: thirdPartyOf(retry.lastError) })) };
  }),

  retryNow: oncallProcedure
    .meta({ auditTarget: 'ids' })
    .input(mutationInput(selection))
    .mutation(async ({ ctx, input }) => {
      const { retryIds } = await retryNow(ctx.db, { filter: scopeOf(input) });
      return { retried: retryIds.length };
    }),

  giveUp: oncallProcedure
    .meta({ auditTarget: 'ids' })
    .input(mutationInput(selection))
    .mutation(({ ctx, input }) =>
      giveUpRetriesBulk(ctx.db, { filter: scopeOf(input), actor: ctx.actor.email, reason: input.reason, approved: Boolean(ctx.approvedBy) }),
    ),
});
