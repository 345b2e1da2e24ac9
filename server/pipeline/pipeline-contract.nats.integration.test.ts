import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { NatsServers } from '@/server/runtime/local-nats-servers';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import { appendEvent, appendEvents } from './append-event';
import { defineConsumer } from './define-consumer';
import { getLag } from './lag';
import type { PipelineLog } from './pipeline-log';
import { startPipeline } from './start-pipeline';
import { republishEvents } from './republish-events';
import { createEffectsTable, effectCounts, recordEffect } from './test-support/effects';
import { describePipelineContract } from './test-support/pipeline-contract';

const { db, url } = await createTestDatabase();
await createEffectsTable(db);
const servers = await NatsServers.start(1);
const log: PipelineLog = { kind: 'nats', servers: servers.urls, replicas: 1 };
const client = await connect({ servers: servers.urls });
afterAll(async () => {
  await client.close();
  await servers.stop();
});

describePipelineContract('NATS JetStream', () => ({
  db,
  url,
  log,
  workerEnv: { PIPELINE_LOG: 'nats', NATS_URL: servers.urls.join(','), NATS_STREAM_REPLICAS: '1' },
}));

describe('the NATS JetStream log', () => {
  it('carries each event as its whole outbox row under its database and id, and the group acks it on its partition consumer', async () => {
    let handled = 0;
    const pipeline = await startPipeline({
      db,
      log,
      ...fastPipelineOptions,
      consumers: [defineConsumer({ group: 'carried', types: '*', topics: ['carried'], handler: async () => void handled++ })],
    });
    try {
      const { id } = await db.transaction((tx) => appendEvent(tx, { topic: 'carried', key: 'k', type: 'Carried', payload: { amount: 12 }, headers: { source: 'test' } }));
      await waitFor(async () => handled === 1, { what: 'the event handled' });
      const [logged] = await db.execute<{ partition: number; sequence: number }>(sql`
        select partition, stream_sequence::float8 as sequence from events where id = ${id}::int8`);
      const jsm = await jetstreamManager(client);
      const message = await jsm.streams.getMessage('CONVEYOR_EVENTS', { seq: logged!.sequence });
      expect(message!.subject).toBe(`conveyor.events.${logged!.partition}`);
      const { database } = (await db.execute<{ database: string }>(sql`select current_database() as database`))[0]!;
      expect(message!.header.get('Nats-Msg-Id')).toBe(`${database}:${id}`);
      expect(message!.json()).toMatchObject({ id: Number(id), topic: 'carried', key: 'k', type: 'Carried', payload: { amount: 12 }, headers: { source: 'test' } });
      expect(Object.keys(message!.json() as object).sort()).toEqual(['created_at', 'deliver_at', 'headers', 'id', 'key', 'payload', 'topic', 'type']);
      await waitFor(async () => {
        const consumer = await jsm.consumers.info('CONVEYOR_EVENTS', `carried-p${logged!.partition}`);
        return consumer.ack_floor.stream_seq === logged!.sequence && consumer.num_ack_pending === 0;
      }, { what: 'the ack after the commit' });
    } finally {
      await pipeline.stop();
    }
  });

  it('an event published by a relay that died before marking it is stored and handled once', async () => {
    let handled = 0;
    const { id } = await db.transaction((tx) => appendEvent(tx, { topic: 'republished', key: 'k', type: 'Once', payload: {} }));
    const [placed] = await db.execute<{ partition: number }>(sql`
      select ((hashtextextended('k', 0) & 9223372036854775807) % (select count(*) from log_partitions))::int as partition`);
    // What the dead relay did: published the row under its id, then never moved it out of the outbox.
    const row = { id: Number(id), topic: 'republished', key: 'k', type: 'Once', payload: {}, headers: {}, created_at: new Date().toISOString() };
    const { database } = (await db.execute<{ database: string }>(sql`select current_database() as database`))[0]!;
    const first = await jetstream(client).publish(`conveyor.events.${placed!.partition}`, JSON.stringify(row), { msgID: `${database}:${id}` });
    const pipeline = await startPipeline({
      db,
      log,
      ...fastPipelineOptions,
      consumers: [defineConsumer({ group: 'republished', types: '*', topics: ['republished'], handler: async () => void handled++ })],
    });
    try {
      await waitFor(async () => handled === 1, { what: 'the event handled' });
      const [logged] = await db.execute<{ sequence: number }>(sql`select stream_sequence::float8 as sequence from events where id = ${id}::int8`);
      expect(logged!.sequence).toBe(first.seq);
      const jsm = await jetstreamManager(client);
      const stream = await jsm.streams.info('CONVEYOR_EVENTS');
      expect(stream.state.last_seq).toBe(first.seq);
      expect(handled).toBe(1);
    } finally {
      await pipeline.stop();
    }
  });

  it('republishing from the outbox since a time re-feeds events the stream lost and runs nothing twice', async () => {
    const consumer = defineConsumer({ group: 'lost', types: '*', topics: ['lost'], handler: async (event, { tx, group }) => recordEffect(tx, group, event) });
    const append = (phase: string) =>
      db.transaction((tx) => appendEvents(tx, Array.from({ length: 5 }, (_, n) => ({ topic: 'lost', key: `lost-${n}`, type: 'Work', payload: { phase, n } }))));
    const since = new Date((await db.execute<{ now: string }>(sql`select now()::text as now`))[0]!.now);
    let pipeline = await startPipeline({ db, log, ...fastPipelineOptions, consumers: [consumer] });
    await append('handled');
    await waitFor(async () => (await effectCounts(db, 'lost')).events === 5, { what: 'the first five handled' });
    await pipeline.stop();

    // Relayed while the group is down, then lost by the broker although it acknowledged them.
    const relayOnly = await startPipeline({ db, log, ...fastPipelineOptions, consumers: [] });
    const lostIds = (await append('lost')).map((row) => row.id);
    const lost = await waitFor(async () => {
      const rows = await db.execute<{ sequence: number }>(sql`select stream_sequence::float8 as sequence from events where id = any(${sql.param(lostIds)}::int8[])`);
      return rows.length === 5 ? rows : null;
    }, { what: 'the next five relayed' });
    await relayOnly.stop();
    const jsm = await jetstreamManager(client);
    for (const { sequence } of lost) await jsm.streams.deleteMessage('CONVEYOR_EVENTS', sequence);

    const errors: string[] = [];
    pipeline = await startPipeline({ db, log, ...fastPipelineOptions, consumers: [consumer], onError: (error) => errors.push(String(error)) });
    try {
      await waitFor(async () => errors.some((error) => /missing from stream CONVEYOR_EVENTS.*republish from the outbox/.test(error)), { what: 'the missing events reported' });
      expect((await effectCounts(db, 'lost')).events).toBe(5);

      const preview = await republishEvents(db, { since, dryRun: true });
      expect(preview).toMatchObject({ dryRun: true, count: 10, throughEventId: Number(lostIds.at(-1)) });
      expect(await republishEvents(db, { since, throughEventId: preview.dryRun ? preview.throughEventId : null })).toEqual({ dryRun: false, republished: 10 });
      await waitFor(async () => (await effectCounts(db, 'lost')).events === 10, { what: 'the lost five handled after the republish' });
      expect(await effectCounts(db, 'lost')).toEqual({ events: 10, effects: 10 });
      const [left] = await db.execute<{ n: number }>(sql`select count(*)::int as n from outbox`);
      expect(left!.n).toBe(0);
    } finally {
      await pipeline.stop();
    }
  });

  it('the lag read gives each partition the age of its oldest unacked message, from the broker, until the ack', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    const pipeline = await startPipeline({
      db,
      log,
      ...fastPipelineOptions,
      consumers: [
        defineConsumer({
          group: 'slow',
          types: '*',
          topics: ['slow'],
          handler: async (event) => {
            if (event.key !== 'slow-1') return;
            entered = true;
            await released;
          },
        }),
      ],
    });
    try {
      // A new group reads the partitions from their start: once caught up, the event below is the only one it holds.
      await db.transaction((tx) => appendEvent(tx, { topic: 'slow', key: 'slow-0', type: 'Slow', payload: {} }));
      await waitFor(
        async () => {
          const [group] = await getLag(db, { group: 'slow', log });
          return group?.lag === 0 && group.partitions.every((row) => row.oldestUnackedAgeMs === null);
        },
        { what: 'the group caught up with every message acked' },
      );
      const appendedAt = Date.now();
      const { id } = await db.transaction((tx) => appendEvent(tx, { topic: 'slow', key: 'slow-1', type: 'Slow', payload: {} }));
      await waitFor(async () => entered, { what: 'the handler holding the event' });
      const [logged] = await db.execute<{ partition: number }>(sql`select partition from events where id = ${id}::int8`);
      const held = await waitFor(
        async () => {
          const [group] = await getLag(db, { group: 'slow', log });
          const partition = group!.partitions.find((row) => row.partition === logged!.partition)!;
          return (partition.oldestUnackedAgeMs ?? 0) >= 300 ? { group: group!, partition } : null;
        },
        { what: 'the unacked message growing older' },
      );
      expect(held.partition.oldestUnackedAgeMs).toBeLessThanOrEqual(Date.now() - appendedAt + 1_000);
      expect(held.group.oldestUnackedAgeMs).toBe(held.partition.oldestUnackedAgeMs);
      for (const other of held.group.partitions.filter((row) => row.partition !== logged!.partition)) expect(other.oldestUnackedAgeMs).toBeNull();
      // The PostgreSQL read alone knows nothing of the broker.
      expect((await getLag(db, { group: 'slow' }))[0]!.partitions[0]).not.toHaveProperty('oldestUnackedAgeMs');

      release();
      await waitFor(
        async () => {
          const [group] = await getLag(db, { group: 'slow', log });
          return group!.oldestUnackedAgeMs === null && group!.partitions.every((row) => row.oldestUnackedAgeMs === null);
        },
        { what: 'no unacked message once the batch committed and acked' },
      );
    } finally {
      release();
      await pipeline.stop();
    }
  });
});
