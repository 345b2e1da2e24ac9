import type { Executor } from '@/db/client';
import { DomainError } from '@/server/errors';
import { matchingDeadLetterIds, replayDeadLetters, type DeadLetterSearch } from '@/server/pipeline';
import { requireApprovalAbove } from './approval-policies';

/** At most this many dead letters per replay request; the operator repeats for more. */
export const MAX_REPLAY_PER_REQUEST = 1_000;

function replaysPerSecond(): number {
  return Number(process.env.REPLAY_RATE_PER_SECOND) || 20;
}

/**
 * Replays dead letters without flooding the pipeline: the replays' first attempts are spread
 * out at REPLAY_RATE_PER_SECOND (default 20/s) instead of all being due at once, and one
 * request replays at most MAX_REPLAY_PER_REQUEST. The rows counted against the approval
 * threshold are the very rows replayed.
 */
export async function replayDeadLettersPaced(db: Executor, input: { filter: DeadLetterSearch; actor: string; expectedCount?: number; approved: boolean }) {
  const matching = await matchingDeadLetterIds(db, input.filter, MAX_REPLAY_PER_REQUEST);
  if (matching.ids.length === 0) return { dryRun: false as const, replayed: 0, remaining: 0, spreadOverMs: 0 };
  if (input.expectedCount !== undefined && matching.count > input.expectedCount * 2 + 10) {
    throw new DomainError('CONFLICT', `The filter now matches ${matching.count} dead letters, far more than the ${input.expectedCount} you confirmed. Review the filter and confirm again.`);
  }
  requireApprovalAbove({ ids: matching.ids, approved: input.approved, describe: (count) => `replay ${count} dead letters` });
  const rate = replaysPerSecond();
  const result = await replayDeadLetters(db, { filter: { ids: matching.ids }, actor: input.actor, pacePerSecond: rate });
  const replayed = result.dryRun ? 0 : result.replays.length;
  return {
    dryRun: false as const,
    replayed,
    remaining: Math.max(0, matching.count - replayed),
    spreadOverMs: Math.round((Math.max(0, replayed - 1) / rate) * 1000),
  };
}

/** What a replay or discard of this selection would touch (letters still dead): the count, the first rows, and the pacing. */
export async function previewDeadLetterAction(db: Executor, filter: DeadLetterSearch) {
  const matching = await matchingDeadLetterIds(db, filter, 10);
  const preview = await replayDeadLetters(db, { filter: { ids: matching.ids }, actor: 'preview', dryRun: true });
  return { count: matching.count, cap: MAX_REPLAY_PER_REQUEST, ratePerSecond: replaysPerSecond(), sample: preview.dryRun ? preview.sample : [] };
}
