import { sql } from 'drizzle-orm';
import type { Transaction } from '@/db/client';
import { LeaseLostError } from './lease-lost-error';

export interface OffsetCommit {
  partition: number;
  /** The committed offset the batch was read after. */
  from: number;
  /** The next offset to read. */
  to: number;
  handled: number;
}

/**
 * Commits a batch in its transaction, in one statement: the processed marks of the events
 * it handled and the partitions' new committed offsets. The offset update is guarded
 * twice: the worker must still hold a live lease, and the offset must still be where the
 * batch read it (an operator reset in between wins). Otherwise the whole batch rolls back.
 */
export async function commitBatch(
  tx: Transaction,
  input: { group: string; workerId: string; processedEventIds: string[]; commits: OffsetCommit[] },
): Promise<void> {
  if (input.commits.length === 0) return;
  const [row] = await tx.execute<{ committed: number }>(sql`
    with marked as (
      insert into processed_events ("group", event_id)
      select ${input.group}, unnest(${sql.param(input.processedEventIds)}::int8[])
    ), committed as (
      update consumer_offsets o
      set committed_offset = c.to_offset, handled_count = o.handled_count + c.handled, committed_at = now()
      from unnest(
        ${sql.param(input.commits.map((commit) => commit.partition))}::int[],
        ${sql.param(input.commits.map((commit) => commit.from))}::int8[],
        ${sql.param(input.commits.map((commit) => commit.to))}::int8[],
        ${sql.param(input.commits.map((commit) => commit.handled))}::int8[]
      ) as c(partition, from_offset, to_offset, handled)
      where o."group" = ${input.group} and o.partition = c.partition and o.committed_offset = c.from_offset
        and o.lease_owner = ${input.workerId} and o.lease_expires_at > now()
      returning o.partition
    )
    select count(*)::int as committed from committed`);
  if (row!.committed !== input.commits.length) {
    throw new LeaseLostError(`${input.group}: lost partitions while handling a batch; it will be redelivered`);
  }
}
