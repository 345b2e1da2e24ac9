import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/**
 * Retention: deletes events older than `olderThanDays` that every group has consumed, in
 * small batches so it never holds long locks. Events still unconsumed by some group, in
 * retries, or behind a dead letter are kept whatever their age, and so is each partition's
 * last event.
 */
export async function deleteConsumedEvents(db: Executor, input: { olderThanDays: number; batchSize?: number }): Promise<number> {
  const batchSize = input.batchSize ?? 500;
  let total = 0;
  for (;;) {
    const [row] = await db.execute<{ deleted: number }>(sql`
      with doomed as (
        select e.id from events e
        where e.logged_at < now() - ${input.olderThanDays} * interval '1 day'
          and e."offset" < (select coalesce(min(o.committed_offset), 0) from consumer_offsets o where o.partition = e.partition)
          -- A partition's last event stays: a group reads its way to the end of the log only
          -- by reading an event, so a group moved back behind deleted events (an offset reset)
          -- would otherwise keep lag that no worker can consume.
          and e."offset" < (select p.next_offset - 1 from log_partitions p where p.partition = e.partition)
          and not exists (select 1 from retries r where r.event_id = e.id)
          and not exists (select 1 from dead_letters d where d.event_id = e.id)
        limit ${batchSize}
      ), gone as (
        delete from events e using doomed where e.id = doomed.id returning e.id
      ), marks as (
        delete from processed_events p using gone, consumer_groups g
        where p."group" = g."group" and p.event_id = gone.id
      )
      select count(*)::int as deleted from gone`);
    total += row!.deleted;
    if (row!.deleted < batchSize) return total;
  }
}
