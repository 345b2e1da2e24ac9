import { z } from 'zod';
import { DomainError } from '@/server/errors';
import { discardDeadLettersBulk } from '@/server/ops/discard-dead-letters-bulk';
import { DEAD_LETTER_STATUSES, getDeadLetter, searchDeadLetters } from '@/server/pipeline';
import { previewDeadLetterAction, replayDeadLettersPaced } from '@/server/ops/replay-dead-letters-paced';
import { mutationInput, oncallProcedure, router, viewerProcedure } from '../init';

const filter = z.object({
  ids: z.array(z.number().int()).max(1000).optional(),
  group: z.string().trim().max(200).optional(),
  status: z.enum(DEAD_LETTER_STATUSES).optional(),
  eventType: z.string().trim().max(200).optional(),
  errorText: z.string().trim().max(200).optional(),
  key: z.string().trim().max(200).optional(),
  deadAfter: z.coerce.date().optional(),
  deadBefore: z.coerce.date().optional(),
});

/**
 * A bulk action names explicit ids (one, or those selected) or a filter ("all matching").
 * Without either it would touch every dead letter, so the operator has to say so.
 */
const selection = {
  ids: z.array(z.number().int()).min(1).max(1000).optional(),
  filter: filter.optional(),
  everything: z.boolean().optional(),
};

function scopeOf(input: { ids?: number[]; filter?: z.infer<typeof filter>; everything?: boolean }) {
  if (input.ids) return { ids: input.ids };
  const { status: _status, ...narrowing } = input.filter ?? {};
  const narrowed = Object.values(narrowing).some((value) => value !== undefined && value !== '');
  if (!narrowed && !input.everything) throw new DomainError('BAD_REQUEST', 'Select dead letters or set a filter first (or confirm you mean every dead letter).');
  return { ...input.filter, status: undefined };
}

export const deadLettersRouter = router({
  list: viewerProcedure
    .input(z.object({ filter, cursor: z.number().int().optional(), limit: z.number().int().min(1).max(200).default(50) }))
    .query(({ ctx, input }) => searchDeadLetters(ctx.db, input)),

  get: viewerProcedure.input(z.object({ id: z.number().int() })).query(async ({ ctx, input }) => {
    const letter = await getDeadLetter(ctx.db, input.id);
    if (!letter) throw new DomainError('NOT_FOUND', `Dead letter ${input.id} does not exist.`);
    return letter;
  }),

  /** What a replay or discard of this selection would touch (only letters still dead): the count and first rows. */
  preview: viewerProcedure
    .input(z.object(selection))
    .query(({ ctx, input }) => previewDeadLetterAction(ctx.db, scopeOf(input))),

  replay: oncallProcedure
    .meta({ auditTarget: 'ids' })
    .input(mutationInput({ ...selection, expectedCount: z.number().int().min(0).optional() }))
    .mutation(({ ctx, input }) =>
      replayDeadLettersPaced(ctx.db, { filter: scopeOf(input), actor: ctx.actor.email, reason: input.reason, expectedCount: input.expectedCount, approved: Boolean(ctx.approvedBy) }),
    ),

  discard: oncallProcedure
    .meta({ auditTarget: 'ids' })
    .input(mutationInput(selection))
    .mutation(({ ctx, input }) =>
      discardDeadLettersBulk(ctx.db, { filter: scopeOf(input), actor: ctx.actor.email, reason: input.reason, approved: Boolean(ctx.approvedBy) }),
    ),
});
