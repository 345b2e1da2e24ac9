import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { ConsumerDefinition } from './types';

/**
 * Records the group's subscription (read by the trace and by offset resets) and creates
 * its offset rows; a new group starts at the beginning of the retained log.
 */
export async function registerConsumerGroup(
  db: Executor,
  consumer: ConsumerDefinition & { maxAttempts: number },
  partitions: number,
): Promise<void> {
  const types = consumer.types === '*' ? null : sql.param([...consumer.types]);
  const topics = consumer.topics ? sql.param([...consumer.topics]) : null;
  await db.execute(sql`
    insert into consumer_groups ("group", types, topics, max_attempts)
    values (${consumer.group}, ${types}::text[], ${topics}::text[], ${consumer.maxAttempts})
    on conflict ("group") do update
      set types = excluded.types, topics = excluded.topics, max_attempts = excluded.max_attempts, registered_at = now()`);
  // The first event each partition still holds, else its end: offset 0 on a partition whose
  // early events retention deleted would be lag that no worker can consume.
  await db.execute(sql`
    insert into consumer_offsets ("group", partition, committed_offset)
    select ${consumer.group}, p.partition, coalesce((select min(e."offset") from events e where e.partition = p.partition), p.next_offset)
    from log_partitions p
    where p.partition < ${partitions}::int
    on conflict do nothing`);
}
