import type { Executor } from '@/db/client';
import { DomainError } from '@/server/errors';
import { matchingDeadLetterIds, replayDeadLetters, type DeadLetterSearch } from '@/server/pipeline';
import { requireApprovalAbove } from './approval-policies';
import { startLongWork } from './long-work/start-long-work';

/** At most this many dead letters per replay request; the operator repeats for more. */
export const MAX_REPLAY_PER_REQUEST = 1_000;

function replaysPerSecond(): number {
  return Number(process.env.REPLAY_RATE_PER_SECOND) || 20;
}

/**
 * Replays dead letters without flooding the pipeline: the replays' first attempts are spread
 * out at REPLAY_RATE_PER_SECOND (default 20/s) instead of all being due at once, and one
 * request replays at most MAX_REPLAY_PER_REQUEST. The rows counted against the approval
 * threshold are the very rows replayed. The replay's progress is recorded (long_work) in its
 * transaction, and the worker follows it until every replay was processed or died again.
 */
export async function replayDeadLettersPaced(db: Executor, input: { filter: DeadLetterSearch; actor: string; reason: string; expectedCount?: number; approved: boolean }) {
  const matching = await matchingDeadLetterIds(db, input.filter, MAX_REPLAY_PER_REQUEST);
  if (matching.ids.length === 0) return { dryRun: false as const, replayed: 0, remaining: 0, spreadOverMs: 0, workId: null };
  if (input.expectedCount !== undefined && matching.count > input.expectedCount * 2 + 10) {
    throw new DomainError('CONFLICT', `The filter now matches ${matching.count} dead letters, far more than the ${input.expectedCount} you confirmed. Review the filter and confirm again.`);
  }
  requireApprovalAbove({ ids: matching.ids, approved: input.approved, describe: (count) => `replay ${count} dead letters` });
  const rate = replaysPerSecond();
  return db.transaction(async (tx) => {
    const result = await replayDeadLetters(tx, { filter: { ids: matching.ids }, actor: input.actor, pacePerSecond: rate });
    const replays = result.dryRun ? [] : result.replays;
    const work =
      replays.length === 0
        ? null
        : await startLongWork(tx, {
            kind: 'dead_letter_replay',
            label: `Replay ${replays.length} dead letter${replays.length === 1 ? '' : 's'}${input.filter.group ? ` of ${input.filter.group}` : ''}`,
            startedFrom: '/dead-letters',
            startedBy: input.actor,
            reason: input.reason,
            total: replays.length,
            subject: { deadLetterIds: replays.map((replay) => replay.deadLetterId) },
          });
    return {
      dryRun: false as const,
      replayed: replays.length,
      remaining: Math.max(0, matching.count - replays.length),
      spreadOverMs: Math.round((Math.max(0, replays.length - 1) / rate) * 1000),
      workId: work?.id ?? null,
    };
  });
}

/** What a replay or discard of this selection would touch (letters still dead): the count, the first rows, and the pacing. */
export async function previewDeadLetterAction(db: Executor, filter: DeadLetterSearch) {
  const matching = await matchingDeadLetterIds(db, filter, 10);
  const preview = await replayDeadLetters(db, { filter: { ids: matching.ids }, actor: 'preview', dryRun: true });
  return { count: matching.count, cap: MAX_REPLAY_PER_REQUEST, ratePerSecond: replaysPerSecond(), sample: preview.dryRun ? preview.sample : [] };
}
