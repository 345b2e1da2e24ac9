import type { Executor } from '@/db/client';
import { giveUpRetries, matchingRetryIds, type RetryFilter } from '@/server/pipeline';
import { requireApprovalAbove } from './approval-policies';
import { pipelineOpsHooks } from './pipeline-hooks';

/** At most this many retries per give-up request; the operator repeats for more. */
export const MAX_GIVE_UP_PER_REQUEST = 1_000;

/**
 * Moves the retries a selection matches to the dead letters (those no worker holds right now,
 * at most MAX_GIVE_UP_PER_REQUEST). The rows counted against the approval threshold are the
 * very rows given up.
 */
export async function giveUpRetriesBulk(db: Executor, input: { filter: RetryFilter; actor: string; reason: string; approved: boolean }) {
  const matching = await matchingRetryIds(db, input.filter, MAX_GIVE_UP_PER_REQUEST);
  if (matching.ids.length === 0) return { deadLettered: 0, remaining: matching.count };
  requireApprovalAbove({ ids: matching.ids, approved: input.approved, describe: (count) => `give up ${count} failed pushes` });
  const result = await giveUpRetries(db, { filter: { ids: matching.ids }, actor: input.actor, reason: input.reason, hooks: pipelineOpsHooks });
  const deadLettered = result.dryRun ? 0 : result.deadLetterIds.length;
  return { deadLettered, remaining: Math.max(0, matching.count - deadLettered) };
}
