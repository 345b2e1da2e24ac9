import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import { appendEvent } from './append-event';
import { defineConsumer } from './define-consumer';
import type { PipelineLog } from './pipeline-log';
import { startPipeline } from './start-pipeline';
import { createEffectsTable } from './test-support/effects';
import { NatsServers } from './test-support/nats-servers';
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
  it('carries each event as its whole outbox row under its id, and the group acks it on its partition consumer', async () => {
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
      expect(message!.header.get('Nats-Msg-Id')).toBe(id);
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
    const first = await jetstream(client).publish(`conveyor.events.${placed!.partition}`, JSON.stringify(row), { msgID: id });
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
});
