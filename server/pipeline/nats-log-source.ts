import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { LogSource } from './log-source';
import type { NatsLog } from './nats-log';
import type { BatchEvent } from './read-batch';

/** Messages asked for at a time per partition; JetStream tops the buffer up as it drains. */
const PULL_BATCH = 256;
const PULL_EXPIRES_MS = 2_000;
/**
 * A partition with events to read that has received nothing for this long restarts delivery: a
 * consumer whose Raft group was restarted can stop answering pulls without closing them.
 */
const STALLED_AFTER_MS = 3 * PULL_EXPIRES_MS;

interface PartitionFeed {
  partition: number;
  /** The next offset to take: the committed offset plus the events taken since. */
  expected: number;
  messages: ConsumerMessages;
  buffer: JsMsg[];
  /** Delivery is out of step with the committed offset and restarts at the next read. */
  stale: boolean;
  /** When delivery started or last brought a message. */
  lastMessageAt: number;
}

/** The outbox row as the relay published it: every column, as JSON. */
interface PublishedRow {
  id: number;
  topic: string;
  key: string;
  type: string;
  payload: unknown;
  headers: Record<string, string>;
  created_at: string;
}

/**
 * Reads a group's leased partitions from their durable JetStream consumers (one per group ×
 * partition, filtered on the partition's subject). The committed offset in PostgreSQL stays the
 * position: a message is taken only if it is the event at the next offset, found through the
 * `events` row the relay wrote with it. An event already committed is acked and skipped; one out
 * of step (a reset, a rolled-back batch, a redelivery) restarts delivery at the stream sequence
 * of the event at the committed offset; if the stream no longer holds that message (a broker
 * that lost acknowledged writes), the partition waits and says so until it is republished. Messages are acked only after the batch's
 * transaction commits, so a crash before that redelivers and one after repeats nothing.
 */
export class NatsLogSource implements LogSource {
  private readonly feeds = new Map<number, PartitionFeed>();
  private readonly inFlight = new Map<string, JsMsg>();

  constructor(
    private readonly options: {
      db: Executor;
      log: NatsLog;
      group: string;
      /** Called when messages arrive, so the runner stops waiting. */
      wake: () => void;
      onError: (error: unknown) => void;
    },
  ) {}

  async read(input: { group: string; workerId: string; limit: number }): Promise<BatchEvent[]> {
    const { db } = this.options;
    const leased = await db.execute<{ partition: number; committed: number; end: number; paused: boolean }>(sql`
      select o.partition, o.committed_offset::float8 as committed, p.next_offset::float8 as "end", g.paused
      from consumer_offsets o
      join consumer_groups g on g."group" = o."group"
      join log_partitions p on p.partition = o.partition
      where o."group" = ${input.group} and o.lease_owner = ${input.workerId} and o.lease_expires_at > now()
      order by o.partition`);
    await this.released([...this.feeds.keys()].filter((partition) => !leased.some((row) => row.partition === partition)));
    if (leased.length === 0 || leased[0]!.paused) return [];

    const committedAt = new Map(leased.map((row) => [row.partition, row.committed]));
    for (const { partition, committed, end } of leased) {
      const feed = this.feeds.get(partition);
      const stalled = feed !== undefined && committed < end && feed.buffer.length === 0 && Date.now() - feed.lastMessageAt > STALLED_AFTER_MS;
      if (!feed || feed.stale || stalled || feed.expected !== committed) await this.position(partition, committed);
    }

    const taken = this.take(input.limit);
    if (taken.length === 0) return [];
    const known = await db.execute<{ id: string; offset: number | null; sequence: number | null; waiting: boolean; settled: boolean }>(sql`
      select m.id::text as id, e."offset"::float8 as "offset", e.stream_sequence::float8 as sequence,
             e.id is null and exists (select 1 from outbox o where o.id = m.id) as waiting,
             exists (select 1 from processed_events p where p."group" = ${input.group} and p.event_id = m.id)
               or exists (select 1 from retries r where r."group" = ${input.group} and r.event_id = m.id) as settled
      from unnest(${sql.param(taken.map(({ published }) => String(published.id)))}::int8[]) as m(id)
      left join events e on e.id = m.id`);
    const byId = new Map(known.map((row) => [row.id, row]));

    const batch: BatchEvent[] = [];
    const putBack = new Map<number, JsMsg[]>();
    const stopped = new Set<number>();
    for (const { feed, message, published } of taken) {
      if (stopped.has(feed.partition)) {
        putBack.get(feed.partition)?.push(message);
        continue;
      }
      const id = String(published.id);
      const row = byId.get(id)!;
      if (row.offset === null) {
        if (row.waiting) {
          // Published, but the relay's transaction has not committed yet: wait for it in order.
          stopped.add(feed.partition);
          putBack.set(feed.partition, [message]);
        } else {
          message.ack();
        }
        continue;
      }
      // Below the committed offset, or not the copy the log records (one the relay published
      // again after the duplicate window, one an operator republished over, one a stream kept
      // from another database): acked, never handled.
      if (row.offset < feed.expected || row.sequence !== message.seq) {
        message.ack();
        continue;
      }
      if (row.offset > feed.expected) {
        feed.stale = true;
        stopped.add(feed.partition);
        continue;
      }
      batch.push({
        id,
        topic: published.topic,
        key: published.key,
        type: published.type,
        payload: published.payload,
        headers: published.headers,
        createdAt: new Date(published.created_at),
        partition: feed.partition,
        offset: row.offset,
        committedOffset: committedAt.get(feed.partition)!,
        settled: row.settled,
      });
      this.inFlight.set(id, message);
      feed.expected++;
    }
    for (const [partition, messages] of putBack) {
      const feed = this.feeds.get(partition);
      if (feed && !feed.stale) feed.buffer.unshift(...messages);
    }
    return batch;
  }

  committed(batch: BatchEvent[]): void {
    for (const event of batch) {
      this.inFlight.get(event.id)?.ack();
      this.inFlight.delete(event.id);
    }
  }

  rolledBack(batch: BatchEvent[]): void {
    for (const event of batch) {
      this.inFlight.delete(event.id);
      const feed = this.feeds.get(event.partition);
      if (feed) feed.stale = true;
    }
  }

  async released(partitions: number[]): Promise<void> {
    for (const partition of partitions) {
      const feed = this.feeds.get(partition);
      if (!feed) continue;
      this.feeds.delete(partition);
      await feed.messages.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.released([...this.feeds.keys()]);
    this.inFlight.clear();
  }

  /** Takes buffered messages a position of each partition at a time, so no partition starves. */
  private take(limit: number): { feed: PartitionFeed; message: JsMsg; published: PublishedRow }[] {
    const taken: { feed: PartitionFeed; message: JsMsg; published: PublishedRow }[] = [];
    const feeds = [...this.feeds.values()].filter((feed) => !feed.stale);
    const counts = new Map<PartitionFeed, number>();
    for (let position = 0; taken.length < limit; position++) {
      let any = false;
      for (const feed of feeds) {
        const message = feed.buffer[position];
        if (!message || taken.length >= limit) continue;
        any = true;
        taken.push({ feed, message, published: JSON.parse(message.string()) as PublishedRow });
        counts.set(feed, position + 1);
      }
      if (!any) break;
    }
    for (const [feed, count] of counts) feed.buffer.splice(0, count);
    return taken;
  }

  private async position(partition: number, committed: number): Promise<void> {
    const { db, log, group } = this.options;
    await this.released([partition]);
    // The event at the committed offset, else the stream past the partition's last event.
    const [start] = await db.execute<{ sequence: number; expected: number | null }>(sql`
      with next as (
        select "offset", stream_sequence from events where partition = ${partition} and "offset" >= ${committed} order by "offset" limit 1
      )
      select coalesce(
        (select stream_sequence from next),
        (select stream_sequence + 1 from events where partition = ${partition} order by "offset" desc limit 1),
        1
      )::float8 as sequence,
      (select "offset" from next)::float8 as expected`);
    if (start!.expected !== null && !(await log.holds(start!.sequence, partition))) {
      this.options.onError(
        new Error(
          `${group}: the event at offset ${start!.expected} of partition ${partition} is missing from stream ${log.stream} ` +
            `(stream sequence ${start!.sequence}); republish from the outbox since before it was relayed`,
        ),
      );
    }
    const name = await log.positionConsumer(group, partition, start!.sequence);
    const consumer = await log.js.consumers.get(log.stream, name);
    const feed: PartitionFeed = {
      partition,
      expected: committed,
      buffer: [],
      stale: false,
      lastMessageAt: Date.now(),
      messages: null!,
    };
    feed.messages = await consumer.consume({
      max_messages: PULL_BATCH,
      // Pull requests last this long and heartbeat at half of it: a request lost with a server
      // (a leader change, a reconnect) is noticed and renewed within seconds.
      expires: PULL_EXPIRES_MS,
      callback: (message) => {
        feed.lastMessageAt = Date.now();
        feed.buffer.push(message);
        this.options.wake();
      },
    });
    // A subscription that ends by itself (its consumer gone, the cluster away too long) restarts at the next read.
    void feed.messages.closed().then(() => {
      feed.stale = true;
      this.options.wake();
    });
    this.feeds.set(partition, feed);
  }
}
