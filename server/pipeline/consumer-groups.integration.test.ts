import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineOpsHooks } from '@/server/ops/pipeline-hooks';
import { createTestDatabase } from '@/test/database';
import { appendEvent, appendEvents } from './append-event';
import { defineConsumer } from './define-consumer';
import { startPipeline, type PipelineHandle } from './start-pipeline';
import { createEffectsTable, effectCounts, recordEffect } from './test-support/effects';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import type { ConsumerDefinition, HandlerContext, PipelineEvent } from './types';

const { db } = await createTestDatabase();
await createEffectsTable(db);

let pipeline: PipelineHandle | null = null;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = null;
});

async function run(consumers: ConsumerDefinition[]) {
  // The hooks the product runs with, so a dead letter raises its alert as in production.
  pipeline = await startPipeline({ db, consumers, ...fastPipelineOptions, hooks: pipelineOpsHooks });
}

describe('consumer groups', () => {
  it('delivers the events of one key in append order within a group', async () => {
    const seen: number[] = [];
    await run([
      defineConsumer({
        group: 'ordering',
        types: ['Step'],
        topics: ['ordering'],
        batchSize: 7,
        handler: async (event) => {
          seen.push((event.payload as { n: number }).n);
        },
      }),
    ]);
    for (let n = 0; n < 60; n += 3) {
      await db.transaction((tx) =>
        appendEvents(tx, [0, 1, 2].map((i) => ({ topic: 'ordering', key: 'one-key', type: 'Step', payload: { n: n + i } }))),
      );
    }
    await waitFor(async () => seen.length === 60, { what: '60 deliveries' });
    expect(seen).toEqual(Array.from({ length: 60 }, (_, n) => n));
  });

  it('a handler that throws on the 2nd of 5 events leaves 1, 3, 4, 5 processed and 2 in retries', async () => {
    await run([
      defineConsumer({
        group: 'second-fails',
        types: ['Numbered'],
        topics: ['second-fails'],
        backoff: { baseMs: 60_000, maxMs: 60_000 },
        handler: async (event, { tx, group }) => {
          if ((event.payload as { n: number }).n === 2) throw new TypeError('cannot handle two');
          await recordEffect(tx, group, event);
        },
      }),
    ]);
    const ids = await db.transaction((tx) =>
      appendEvents(tx, [1, 2, 3, 4, 5].map((n) => ({ topic: 'second-fails', key: 'k', type: 'Numbered', payload: { n } }))),
    );
    await waitFor(async () => (await effectCounts(db, 'second-fails')).events === 4, { what: '4 effects' });
    const processed = await db.execute<{ id: string }>(
      sql`select event_id::text as id from processed_events where "group" = 'second-fails' order by event_id`,
    );
    expect(processed.map((row) => row.id)).toEqual([ids[0]!.id, ids[2]!.id, ids[3]!.id, ids[4]!.id]);
    const retries = await db.execute<{ eventId: string; attempt: number; errorClass: string; lastError: string }>(
      sql`select event_id::text as "eventId", attempt, error_class as "errorClass", last_error as "lastError" from retries where "group" = 'second-fails'`,
    );
    expect(retries).toEqual([{ eventId: ids[1]!.id, attempt: 1, errorClass: 'TypeError', lastError: 'cannot handle two' }]);
    expect(await effectCounts(db, 'second-fails')).toEqual({ events: 4, effects: 4 });
  });

  it('a failing batch handler falls back to the event handler so only the failing event goes to retries', async () => {
    const batchSizes: number[] = [];
    const handler = async (event: PipelineEvent, { tx, group }: HandlerContext) => {
      if ((event.payload as { n: number }).n === 3) throw new Error('bad three');
      await recordEffect(tx, group, event);
    };
    await run([
      defineConsumer({
        group: 'batched',
        types: ['Numbered'],
        topics: ['batched'],
        backoff: { baseMs: 60_000, maxMs: 60_000 },
        handler,
        handleBatch: async (events, context) => {
          batchSizes.push(events.length);
          for (const event of events) await handler(event, context);
        },
      }),
    ]);
    await db.transaction((tx) =>
      appendEvents(tx, [1, 2, 3, 4].map((n) => ({ topic: 'batched', key: 'k', type: 'Numbered', payload: { n } }))),
    );
    await waitFor(async () => (await effectCounts(db, 'batched')).events === 3, { what: '3 effects' });
    const retries = await db.execute<{ lastError: string }>(sql`select last_error as "lastError" from retries where "group" = 'batched'`);
    expect([...retries]).toEqual([{ lastError: 'bad three' }]);
    expect(await effectCounts(db, 'batched')).toEqual({ events: 3, effects: 3 });
    expect(batchSizes.reduce((sum, size) => sum + size, 0)).toBe(4);
  });

  it('retries back off and dead-letter after maxAttempts with an alert', async () => {
    const attemptsAt: { attempt: number; at: number }[] = [];
    await run([
      defineConsumer({
        group: 'always-fails',
        types: '*',
        topics: ['always-fails'],
        maxAttempts: 4,
        backoff: { baseMs: 100, maxMs: 10_000 },
        handler: async (_event, { attempt }) => {
          attemptsAt.push({ attempt, at: Date.now() });
          throw new Error(`boom ${attempt}`);
        },
      }),
    ]);
    const { id } = await db.transaction((tx) => appendEvent(tx, { topic: 'always-fails', key: 'k', type: 'Anything', payload: {} }));
    const deadLetters = await waitFor(
      async () => {
        const rows = await db.execute<{ eventId: string; attempts: number; errors: { message: string }[]; status: string }>(sql`
          select event_id::text as "eventId", attempts, errors, status from dead_letters where "group" = 'always-fails'`);
        return rows.length > 0 ? rows : null;
      },
      { what: 'a dead letter' },
    );
    const dead = deadLetters[0];
    expect(dead).toMatchObject({ eventId: id, attempts: 4, status: 'dead' });
    expect(dead!.errors.map((error) => error.message)).toEqual(['boom 1', 'boom 2', 'boom 3', 'boom 4']);
    expect(attemptsAt.map((entry) => entry.attempt)).toEqual([1, 2, 3, 4]);
    // Equal jitter: the wait before attempt n+1 is at least half of base * 2^(n-1).
    const gaps = attemptsAt.slice(1).map((entry, i) => entry.at - attemptsAt[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(50);
    expect(gaps[1]).toBeGreaterThanOrEqual(100);
    expect(gaps[2]).toBeGreaterThanOrEqual(200);
    const retries = await db.execute(sql`select 1 from retries where "group" = 'always-fails'`);
    expect(retries).toHaveLength(0);
    const alerts = await db.execute<{ kind: string; status: string; dedupeKey: string }>(
      sql`select kind, status, dedupe_key as "dedupeKey" from alerts where dedupe_key = 'pipeline.dead_letter:always-fails'`,
    );
    expect(alerts).toEqual([{ kind: 'pipeline.dead_letter', status: 'open', dedupeKey: 'pipeline.dead_letter:always-fails' }]);
  });

  it('does not deliver a delayed event early and delivers it within a second of its time', async () => {
    let deliveredAt: number | null = null;
    await run([
      defineConsumer({
        group: 'delayed',
        types: ['Timeout'],
        topics: ['delayed'],
        handler: async () => {
          deliveredAt = Date.now();
        },
      }),
    ]);
    const deliverAt = new Date(Date.now() + 1_500);
    await db.transaction((tx) => appendEvent(tx, { topic: 'delayed', key: 'k', type: 'Timeout', payload: {}, deliverAt }));
    await waitFor(async () => deliveredAt !== null, { what: 'the delayed delivery' });
    expect(deliveredAt!).toBeGreaterThanOrEqual(deliverAt.getTime());
    expect(deliveredAt! - deliverAt.getTime()).toBeLessThan(1_000);
  });

  it('a group with concurrency 3 runs three handlers at once, each on its own partitions, and keeps every key in order', async () => {
    const seen = new Map<string, number[]>();
    let inFlight = 0;
    let mostInFlight = 0;
    let allThreeIn!: () => void;
    const threeAtOnce = new Promise<void>((resolve) => (allThreeIn = resolve));
    await run([
      defineConsumer({
        group: 'concurrent',
        types: ['Step'],
        topics: ['concurrent'],
        batchSize: 1,
        concurrency: 3,
        handler: async (event, { tx, group }) => {
          inFlight++;
          mostInFlight = Math.max(mostInFlight, inFlight);
          if (inFlight === 3) allThreeIn();
          // Stands in for a slow third party: the first handlers wait until three are in flight
          // (the test body lets them go if that never happens).
          await threeAtOnce;
          await recordEffect(tx, group, event);
          seen.set(event.key, [...(seen.get(event.key) ?? []), (event.payload as { n: number }).n]);
          inFlight--;
        },
      }),
    ]);
    const keys = Array.from({ length: 40 }, (_, index) => `key-${index}`);
    for (const n of [0, 1, 2]) {
      await db.transaction((tx) => appendEvents(tx, keys.map((key) => ({ topic: 'concurrent', key, type: 'Step', payload: { n } }))));
    }
    try {
      await waitFor(async () => mostInFlight === 3, { what: 'three handlers of the group in flight at once' });
    } finally {
      allThreeIn();
    }
    await waitFor(async () => (await effectCounts(db, 'concurrent')).events === 120, { what: '120 events handled', timeoutMs: 30_000 });

    expect(mostInFlight).toBe(3);
    expect(await effectCounts(db, 'concurrent')).toEqual({ events: 120, effects: 120 });
    for (const key of keys) expect(seen.get(key), key).toEqual([0, 1, 2]);
    const workerId = pipeline!.workerId;
    const workers = await db.execute<{ workerId: string }>(sql`select worker_id as "workerId" from consumer_workers where "group" = 'concurrent' order by 1`);
    expect(workers.map((row) => row.workerId)).toEqual([workerId, `${workerId}/2`, `${workerId}/3`]);
    const owners = await db.execute<{ owner: string }>(sql`select distinct lease_owner as owner from consumer_offsets where "group" = 'concurrent' and lease_expires_at > now()`);
    expect(owners).toHaveLength(3);

    await pipeline!.stop();
    pipeline = null;
    const left = await db.execute(sql`select 1 from consumer_workers where worker_id like ${`${workerId}%`}`);
    expect(left).toHaveLength(0);
  });

  it('refuses a concurrency that is not a whole number of at least 1', () => {
    const consumer = { group: 'bad', types: ['X'], handler: async () => {} };
    expect(() => defineConsumer({ ...consumer, concurrency: 0 })).toThrow(/concurrency must be a whole number of at least 1, not 0/);
    expect(() => defineConsumer({ ...consumer, concurrency: 1.5 })).toThrow(/not 1.5/);
  });

  it('a redelivered event whose processed mark committed is not handled again', async () => {
    // Effect and processed mark committed, offset not (e.g. an offset moved back by hand):
    // the redelivery must not run the handler. The process-crash variant is in worker-processes.
    const consumer = defineConsumer({
      group: 'crash-window',
      types: ['Charge'],
      topics: ['crash-window'],
      handler: async (event, { tx, group }) => recordEffect(tx, group, event),
    });
    await run([consumer]);
    await db.transaction((tx) => appendEvent(tx, { topic: 'crash-window', key: 'k', type: 'Charge', payload: {} }));
    await waitFor(async () => (await effectCounts(db, 'crash-window')).effects === 1, { what: 'the effect' });
    await pipeline!.stop();
    await db.execute(sql`update consumer_offsets set committed_offset = 0 where "group" = 'crash-window'`);
    await run([consumer]);
    await waitFor(
      async () => {
        const [row] = await db.execute<{ lag: number }>(sql`
          select sum(p.next_offset - o.committed_offset)::int as lag
          from consumer_offsets o join log_partitions p using (partition) where o."group" = 'crash-window'`);
        return row!.lag === 0;
      },
      { what: 'the group to catch up again' },
    );
    expect(await effectCounts(db, 'crash-window')).toEqual({ events: 1, effects: 1 });
  });
});
