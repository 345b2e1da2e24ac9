import type { Executor } from '@/db/client';
import { discardDeadLetters, matchingDeadLetterIds, type DeadLetterSearch } from '@/server/pipeline';
import { requireApprovalAbove } from './approval-policies';

/** At most this many dead letters per discard request; the operator repeats for more. */
export const MAX_DISCARD_PER_REQUEST = 1_000;

/**
 * Discards the dead letters a selection matches (still dead, at most MAX_DISCARD_PER_REQUEST).
 * The rows counted against the approval threshold are the very rows discarded.
 */
export async function discardDeadLettersBulk(db: Executor, input: { filter: DeadLetterSearch; actor: string; reason: string; approved: boolean }) {
  const { ids } = await matchingDeadLetterIds(db, input.filter, MAX_DISCARD_PER_REQUEST);
  if (ids.length === 0) return { discarded: 0 };
  requireApprovalAbove({ ids, approved: input.approved, describe: (count) => `discard ${count} dead letters` });
  const result = await discardDeadLetters(db, { filter: { ids }, actor: input.actor, reason: input.reason });
  return { discarded: result.dryRun ? 0 : result.deadLetterIds.length };
}
