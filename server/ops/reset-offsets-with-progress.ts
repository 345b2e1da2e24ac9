import type { Executor } from '@/db/client';
import { resetGroupOffsets, type OffsetResetTarget } from '@/server/pipeline';
import { startLongWork } from './long-work/start-long-work';

/**
 * An operator's offset reset. Moving a group back makes its consumers deliver the events
 * again, which can take minutes: the redelivery is recorded as long work in the reset's
 * transaction (total = the count the dry run showed), and the worker follows the group's
 * offsets until it has caught up past the rewound ranges.
 */
export async function resetOffsetsWithProgress(
  db: Executor,
  input: { group: string; to: OffsetResetTarget; partitions?: number[]; actor: string; reason: string },
) {
  return db.transaction(async (tx) => {
    const result = await resetGroupOffsets(tx, { group: input.group, to: input.to, partitions: input.partitions, actor: input.actor });
    const ranges = result.partitions.filter((partition) => partition.to < partition.from).map(({ partition, from, to }) => ({ partition, from, to }));
    const work =
      result.redelivered === 0
        ? null
        : await startLongWork(tx, {
            kind: 'offset_reset_redelivery',
            label: `Redeliver ${result.redelivered} event${result.redelivered === 1 ? '' : 's'} to ${input.group} (offsets reset to ${'time' in input.to ? input.to.time.toISOString() : `offset ${input.to.offset}`})`,
            startedFrom: '/queues',
            startedBy: input.actor,
            reason: input.reason,
            total: result.redelivered,
            subject: { offsetReset: { group: input.group, ranges } },
          });
    return { ...result, workId: work?.id ?? null };
  });
}
