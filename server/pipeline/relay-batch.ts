import type { ReservedSql } from 'postgres';
import { LOG_CHANNEL } from './channels';

/**
 * Moves up to `batchSize` due outbox rows into the log in one transaction, and returns
 * how many it moved.
 *
 * Rows are taken by DELETE, not by an id watermark: a producer transaction that drew a
 * small id but commits late is simply found by a later batch. Partition = hash(key) mod
 * partitions; each partition's next offset is bumped once per batch and rows get
 * consecutive offsets in (deliverAt, id) order, the order producers of one key appended.
 */
export async function relayBatch(connection: ReservedSql, options: { batchSize: number; partitions: number }): Promise<number> {
  // A reserved connection has no `begin()`; the relay runs on the connection that holds
  // the leader lock, so that losing the connection also stops its writes.
  await connection`begin`;
  try {
    const [row] = await connection<{ moved: number }[]>`
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
        returning 1
      )
      select count(*)::int as moved from inserted`;
    const moved = row!.moved;
    // Delivered at commit, so workers never look before the rows are visible.
    if (moved > 0) await connection`select pg_notify(${LOG_CHANNEL}, '')`;
    await connection`commit`;
    return moved;
  } catch (error) {
    await connection`rollback`.catch(() => {});
    throw error;
  }
}

/** Milliseconds until the earliest waiting outbox row is due, by the database clock; null when empty. */
export async function msUntilNextDue(connection: ReservedSql): Promise<number | null> {
  const [row] = await connection<{ ms: number }[]>`
    select extract(epoch from (select deliver_at from outbox order by deliver_at limit 1) - now())::float8 * 1000 as ms`;
  return row?.ms ?? null;
}
