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
