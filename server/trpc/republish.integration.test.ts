import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { approvals, auditLog } from '@/db/schema';
import { createUser } from '@/server/auth/create-user';
import { appendEvents, defineConsumer, startPipeline } from '@/server/pipeline';
import { NatsServers } from '@/server/runtime/local-nats-servers';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import { createCaller } from './root';

const { db } = await createTestDatabase();
const servers = await NatsServers.start(1);
let handled = 0;
const pipeline = await startPipeline({
  db,
  log: { kind: 'nats', servers: servers.urls, replicas: 1 },
  ...fastPipelineOptions,
  consumers: [defineConsumer({ group: 'republish-test', types: '*', handler: async () => void handled++ })],
});
const saved = { APPROVAL_BULK_THRESHOLD: process.env.APPROVAL_BULK_THRESHOLD, PIPELINE_LOG: process.env.PIPELINE_LOG, NATS_URL: process.env.NATS_URL };
afterAll(async () => {
  for (const [variable, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[variable];
    else process.env[variable] = value;
  }
  await pipeline.stop();
  await servers.stop();
});

const requester = await createUser(db, { email: 'first@republish.test', name: 'First', role: 'oncall', password: 'long-enough-1' });
const approver = await createUser(db, { email: 'second@republish.test', name: 'Second', role: 'oncall', password: 'long-enough-2' });
const viewer = await createUser(db, { email: 'viewer@republish.test', name: 'Viewer', role: 'viewer', password: 'long-enough-3' });
const as = (user: { id: string; email: string; role: 'viewer' | 'support' | 'oncall' | 'admin' }) => createCaller({ db, actor: { id: user.id, email: user.email, role: user.role } });
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'OK', (error: unknown) => (error instanceof TRPCError ? error.code : String(error)));
const outboxSize = async () => (await db.execute<{ n: number }>(sql`select count(*)::int as n from outbox`))[0]!.n;

describe('the Queues screen on the NATS log', () => {
  it('shows the stream, its leader and each partition consumer of the groups, and nothing extra on PostgreSQL', async () => {
    delete process.env.PIPELINE_LOG;
    expect(await as(viewer).queues.logState()).toEqual({ kind: 'postgres' });
    process.env.PIPELINE_LOG = 'nats';
    process.env.NATS_URL = servers.urls.join(',');
    const state = await as(viewer).queues.logState();
    if (state.kind !== 'nats') throw new Error('expected the NATS log');
    expect(state).toMatchObject({ stream: 'CONVEYOR_EVENTS', replicas: 1, clustered: false, leader: null, followers: [] });
    expect(state.consumers.map((consumer) => [consumer.consumer, consumer.partition])).toEqual([0, 1, 2, 3].map((partition) => [`republish-test-p${partition}`, partition]));
  });

  it('adds the broker\'s oldest unacked age to the lag of every group and partition, and only on NATS', async () => {
    process.env.PIPELINE_LOG = 'nats';
    process.env.NATS_URL = servers.urls.join(',');
    const [onNats] = await as(viewer).queues.overview();
    expect(onNats).toMatchObject({ group: 'republish-test', oldestUnackedAgeMs: null });
    expect(onNats!.partitions.map((partition) => partition.oldestUnackedAgeMs)).toEqual([null, null, null, null]);
    delete process.env.PIPELINE_LOG;
    const [onPostgres] = await as(viewer).queues.overview();
    expect(onPostgres).not.toHaveProperty('oldestUnackedAgeMs');
    expect(onPostgres!.partitions[0]).not.toHaveProperty('oldestUnackedAgeMs');
  });
});

describe('republish from the outbox, from the Queues screen', () => {
  it('previews, waits above the threshold for a second person, runs as approved and handles nothing twice', async () => {
    const since = new Date(Date.now() - 1_000);
    await appendEvents(db, [1, 2, 3].map((n) => ({ topic: 'republish', key: `key-${n}`, type: 'Something', payload: { n } })));
    await waitFor(async () => handled === 3, { what: 'the three events handled' });

    const preview = await as(viewer).queues.previewRepublish({ since });
    expect(preview).toMatchObject({ dryRun: true, count: 3 });
    expect(preview.sample.map((event) => event.key)).toEqual(['key-1', 'key-2', 'key-3']);

    expect(await codeOf(as(viewer).queues.republish({ since, reason: 'broker lost writes' }))).toBe('FORBIDDEN');
    expect(await codeOf(as(requester).queues.republish({ since, reason: '' }))).toBe('BAD_REQUEST');
    expect(await codeOf(as(requester).queues.republish({ since: new Date(Date.now() + 60_000), reason: 'broker lost writes' }))).toBe('BAD_REQUEST');

    const sequencesOf = async () =>
      (await db.execute<{ sequence: number }>(sql`select stream_sequence::float8 as sequence from events where topic = 'republish' order by id`)).map((row) => row.sequence);
    const before = await sequencesOf();
    process.env.APPROVAL_BULK_THRESHOLD = '2';
    await expect(as(requester).queues.republish({ since, reason: 'broker lost writes' })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(await outboxSize()).toBe(0);
    const [waiting] = await db.select().from(approvals).where(eq(approvals.requestedById, requester.id));
    expect(waiting).toMatchObject({ status: 'pending', action: 'queues.republish' });

    const approved = await as(approver).approvals.approve({ approvalId: waiting!.id, reason: 'the cluster lost its disks' });
    expect(approved.status).toBe('executed');
    const ran = await db.select().from(auditLog).where(eq(auditLog.requestId, `approval-${waiting!.id}`));
    expect(ran[0]).toMatchObject({ actorEmail: 'first@republish.test', outcome: 'ok', action: 'queues.republish' });

    // Published again and consumed, but each event's processed mark stops a second effect.
    await waitFor(async () => (await outboxSize()) === 0, { what: 'the republished rows relayed' });
    const after = await sequencesOf();
    expect(after.every((sequence, index) => sequence > before[index]!)).toBe(true);
    await waitFor(async () => {
      const [lag] = await db.execute<{ lag: number }>(sql`
        select sum(p.next_offset - o.committed_offset)::int as lag from consumer_offsets o join log_partitions p using (partition) where o."group" = 'republish-test'`);
      return lag!.lag === 0;
    }, { what: 'the group caught up' });
    expect(handled).toBe(3);
  });

  // What the Queues screen's Republish button sends: the dry run's selection and count, with the dialog's reason and request id.
  it('republishes what the dry run counted, not events relayed after it, once per request, audited', async () => {
    process.env.APPROVAL_BULK_THRESHOLD = '100';
    const topicSequences = async () =>
      (await db.execute<{ key: string; sequence: number }>(sql`select key, stream_sequence::float8 as sequence from events where topic = 'button' order by id`)).map(
        (row) => [row.key, row.sequence] as const,
      );
    const since = new Date((await db.execute<{ now: string }>(sql`select now()::text as now`))[0]!.now);
    const handledBefore = handled;
    await appendEvents(db, [1, 2].map((n) => ({ topic: 'button', key: `counted-${n}`, type: 'Something', payload: { n } })));
    await waitFor(async () => (await topicSequences()).length === 2 && (await outboxSize()) === 0, { what: 'the two events relayed' });
    const preview = await as(viewer).queues.previewRepublish({ since });
    expect(preview.count).toBe(2);
    await appendEvents(db, [{ topic: 'button', key: 'after-the-dry-run', type: 'Something', payload: {} }]);
    await waitFor(async () => handled === handledBefore + 3, { what: 'the three events handled' });
    const before = new Map(await topicSequences());

    const request = { since, throughEventId: preview.throughEventId!, expectedCount: preview.count, reason: 'the stream lost writes', requestId: randomUUID() };
    expect(await as(requester).queues.republish(request)).toEqual({ republished: 2 });
    // A double submit of the same dialog answers the first result and puts nothing back again.
    expect(await as(requester).queues.republish(request)).toEqual({ republished: 2 });
    const audited = await db.select().from(auditLog).where(eq(auditLog.requestId, request.requestId));
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ action: 'queues.republish', actorEmail: 'first@republish.test', outcome: 'ok', reason: 'the stream lost writes' });

    await waitFor(async () => (await outboxSize()) === 0, { what: 'the republished rows relayed' });
    const after = new Map(await topicSequences());
    expect(after.get('counted-1')).toBeGreaterThan(before.get('counted-1')!);
    expect(after.get('counted-2')).toBeGreaterThan(before.get('counted-2')!);
    expect(after.get('after-the-dry-run')).toBe(before.get('after-the-dry-run'));
    await waitFor(async () => {
      const [lag] = await db.execute<{ lag: number }>(sql`
        select sum(p.next_offset - o.committed_offset)::int as lag from consumer_offsets o join log_partitions p using (partition) where o."group" = 'republish-test'`);
      return lag!.lag === 0;
    }, { what: 'the group caught up' });
    expect(handled).toBe(handledBefore + 3);

    // A time far earlier than the dialog counted for is refused rather than republishing more than was confirmed.
    const everything = { since: new Date(Date.now() - 3_600_000), expectedCount: 0, reason: 'the stream lost writes' };
    await appendEvents(db, Array.from({ length: 12 }, (_, n) => ({ topic: 'button', key: `late-${n}`, type: 'Something', payload: { n } })));
    await waitFor(async () => (await outboxSize()) === 0 && handled === handledBefore + 15, { what: 'twelve more handled' });
    expect(await codeOf(as(requester).queues.republish(everything))).toBe('CONFLICT');
  });
});
