import type { Sql } from 'postgres';
import { LOG_CHANNEL } from './channels';
import type { RelayedTrace } from './trace-context';

export interface RelayBatchResult {
  moved: number;
  /** Milliseconds until the earliest row left in the outbox is due, by the database clock; null when none is left. */
  nextDueInMs: number | null;
  /** The moved events that carry a trace context, for the relay's spans. */
  traced: RelayedTrace[];
}

/**
 * Moves up to `batchSize` due outbox rows into the log, in one statement (so one
 * transaction and one round trip), and wakes the workers at its commit.
 *
 * Rows are taken by DELETE, not by an id watermark: a producer transaction that drew a
 * small id but commits late is simply found by a later batch. Partition = hash(key) mod
 * partitions; each partition's next offset is bumped once per batch and rows get
 * consecutive offsets in (deliverAt, id) order, the order producers of one key appended.
 */
export async function relayBatch(connection: Sql, options: { batchSize: number; partitions: number }): Promise<RelayBatchResult> {
  const [row] = await connection<{ moved: number; nextDueInMs: number | null; traced: RelayedTrace[] }[]>`
    with due as (
      select id from outbox
      where deliver_at <= now()
      order by deliver_at, id
      limit ${options.batchSize}
      for update skip locked
    ), moved as (
      delete from outbox o using due where o.id = due.id
      returning o.*
    ), placed as (
      select moved.*, ((hashtextextended(moved.key, 0) & 9223372036854775807) % ${options.partitions}::int)::int as partition
      from moved
    ), ranked as (
      select placed.*, row_number() over (partition by placed.partition order by placed.deliver_at, placed.id) - 1 as rank
      from placed
    ), bumped as (
      update log_partitions lp set next_offset = lp.next_offset + counts.n
      from (select partition, count(*) as n from placed group by partition) counts
      where lp.partition = counts.partition
      returning lp.partition, lp.next_offset - counts.n as base
    ), inserted as (
      insert into events (id, topic, key, type, payload, headers, created_at, deliver_at, partition, "offset")
      select r.id, r.topic, r.key, r.type, r.payload, r.headers, r.created_at, r.deliver_at, r.partition, b.base + r.rank
      from ranked r join bumped b on b.partition = r.partition
      returning id, topic, type, headers, partition, "offset"
    ), moved_count as (
      select count(*)::int as n from inserted
    )
    select moved_count.n as moved,
           -- notifications are delivered at commit, so workers never look before the rows are visible
           case when moved_count.n > 0 then pg_notify(${LOG_CHANNEL}, '') end as notified,
           -- the statement sees the outbox as it was before the delete, so skip the rows just moved
           (select extract(epoch from o.deliver_at - now())::float8 * 1000
              from outbox o where not exists (select 1 from due where due.id = o.id)
              order by o.deliver_at limit 1) as "nextDueInMs",
           (select coalesce(json_agg(json_build_object('id', i.id::text, 'topic', i.topic, 'type', i.type, 'partition', i.partition, 'offset', i."offset",
                                                       'traceparent', i.headers->>'traceparent', 'tracestate', i.headers->>'tracestate')), '[]')
              from inserted i where i.headers ? 'traceparent') as traced
    from moved_count`;
  return { moved: row!.moved, nextDueInMs: row!.nextDueInMs, traced: row!.traced };
}
