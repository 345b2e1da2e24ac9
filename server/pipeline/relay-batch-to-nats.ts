import type { Sql } from 'postgres';
import { LOG_CHANNEL } from './channels';
import type { NatsLog } from './nats-log';
import type { RelayBatchResult } from './relay-batch';
import type { RelayedTrace } from './trace-context';

/**
 * Moves up to `batchSize` due outbox rows into the NATS stream, in one PostgreSQL transaction:
 * takes the rows, assigns partition and offset exactly as the PostgreSQL log does, publishes each
 * whole row (every column, as JSON) to `<prefix>.<partition>` with `Nats-Msg-Id` = event id,
 * waits for every PubAck, then moves the rows from the outbox to `events` with their stream
 * sequence, and wakes the workers at commit.
 *
 * A relay that dies after publishing and before committing leaves the rows in the outbox; the
 * next leader publishes them again and the stream's duplicate window answers with the sequence
 * stored the first time, so no event is stored twice. A row republished by an operator
 * (republish-events.ts) is already in `events`: it keeps its partition and offset and only its
 * stream sequence moves to where the stream now holds it. Consumers read the event id from the
 * row, not from `Nats-Msg-Id`.
 */
export async function relayBatchToNats(connection: Sql, options: { batchSize: number; partitions: number; log: NatsLog }): Promise<RelayBatchResult> {
  const traced: RelayedTrace[] = [];
  const moved = await connection.begin(async (tx) => {
    traced.length = 0;
    const rows = await tx<{ id: string; database: string; partition: number; loggedOffset: number | null; row: Record<string, unknown> }[]>`
      with due as (
        select id from outbox
        where deliver_at <= now()
        order by deliver_at, id
        limit ${options.batchSize}
        for update skip locked
      )
      select o.id::text as id, current_database() as database, to_jsonb(o) as "row",
             coalesce(e.partition, ((hashtextextended(o.key, 0) & 9223372036854775807) % ${options.partitions}::int)::int) as partition,
             e."offset"::float8 as "loggedOffset"
      from outbox o join due on due.id = o.id
      left join events e on e.id = o.id
      order by o.deliver_at, o.id`;
    if (rows.length === 0) return 0;

    const counts = new Map<number, number>();
    for (const row of rows) if (row.loggedOffset === null) counts.set(row.partition, (counts.get(row.partition) ?? 0) + 1);
    const bases = counts.size === 0 ? [] : await tx<{ partition: number; base: string }[]>`
      update log_partitions lp set next_offset = lp.next_offset + c.n
      from unnest(${[...counts.keys()]}::int[], ${[...counts.values()]}::int8[]) as c(partition, n)
      where lp.partition = c.partition
      returning lp.partition, (lp.next_offset - c.n)::text as base`;
    const next = new Map(bases.map((row) => [row.partition, Number(row.base)]));
    const offsets = rows.map((row) => {
      if (row.loggedOffset !== null) return row.loggedOffset;
      const offset = next.get(row.partition)!;
      next.set(row.partition, offset + 1);
      return offset;
    });

    // All publishes in flight at once, then every PubAck awaited: the rows leave the outbox only
    // once the stream has stored each of them.
    // A republished row gets a Nats-Msg-Id of its own: under the event id alone, the duplicate
    // window would answer with the sequence of the very message the broker lost.
    const republishedAt = Date.now();
    const acks = await Promise.all(
      rows.map((row) =>
        options.log.js.publish(options.log.subject(row.partition), JSON.stringify(row.row), {
          msgID: row.loggedOffset === null ? `${row.database}:${row.id}` : `${row.database}:${row.id}:republished:${republishedAt}`,
        }),
      ),
    );

    await tx`
      with moved as (
        delete from outbox o using unnest(${rows.map((row) => row.id)}::int8[]) as m(id) where o.id = m.id
        returning o.*
      )
      insert into events (id, topic, key, type, payload, headers, created_at, deliver_at, partition, "offset", stream_sequence)
      select m.id, m.topic, m.key, m.type, m.payload, m.headers, m.created_at, m.deliver_at, p.partition, p."offset", p.seq
      from moved m
      join unnest(
        ${rows.map((row) => row.id)}::int8[], ${rows.map((row) => row.partition)}::int[],
        ${offsets}::int8[], ${acks.map((ack) => ack.seq)}::int8[]
      ) as p(id, partition, "offset", seq) on p.id = m.id
      on conflict (id) do update set stream_sequence = excluded.stream_sequence`;
    await tx`select pg_notify(${LOG_CHANNEL}, '')`;
    rows.forEach((row, index) => {
      const headers = (row.row.headers ?? {}) as Record<string, string | undefined>;
      if (!headers.traceparent) return;
      traced.push({ id: row.id, type: String(row.row.type), topic: String(row.row.topic), partition: row.partition, offset: offsets[index]!, traceparent: headers.traceparent, tracestate: headers.tracestate ?? null });
    });
    return rows.length;
  });
  const [due] = await connection<{ nextDueInMs: number | null }[]>`
    select extract(epoch from min(deliver_at) - now())::float8 * 1000 as "nextDueInMs" from outbox`;
  return { moved, nextDueInMs: due?.nextDueInMs ?? null, traced };
}
