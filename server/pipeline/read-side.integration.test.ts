import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { metricsRegistry } from '@/server/ops/metrics';
import { pipelineOpsHooks } from '@/server/ops/pipeline-hooks';
import { createTestDatabase } from '@/test/database';
import { appendEvent, appendEvents } from './append-event';
import { defineConsumer } from './define-consumer';
import { deleteConsumedEvents } from './delete-consumed-events';
import { listDeadLetters } from './dead-letters';
import { traceKey } from './key-trace';
import { getLag } from './lag';
import { getLagHistory } from './lag-history';
import { pauseGroup } from './pause-group';
import { replayDeadLetters } from './replay-dead-letters';
import { listRetries } from './retries';
import { startPipeline } from './start-pipeline';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import { getThroughput } from './throughput';

const { db } = await createTestDatabase();

// One pipeline for the file: `fine` handles everything, `stalled` is paused, `picky`
// handles only Order events, failing once those marked `flaky` and always those marked `dead`.
const failedOnce = new Set<string>();
const pipeline = await startPipeline({
  db,
  ...fastPipelineOptions,
  hooks: pipelineOpsHooks,
  consumers: [
    defineConsumer({ group: 'fine', types: '*', handler: async () => {} }),
    defineConsumer({ group: 'stalled', types: '*', handler: async () => {} }),
    defineConsumer({
      group: 'picky',
      types: ['Order'],
      maxAttempts: 2,
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      handler: async (event) => {
        const { fail } = event.payload as { fail?: 'dead' | 'flaky' };
        if (fail === 'dead' || (fail === 'flaky' && !failedOnce.has(event.id))) {
          failedOnce.add(event.id);
          throw new RangeError(`rejected ${event.key}`);
        }
      },
    }),
  ],
});
afterAll(() => pipeline.stop());
await pauseGroup(db, { group: 'stalled', actor: 'test' });

describe('pipeline read side', () => {
  it('reports lag per group and partition with the age of the oldest unconsumed event', async () => {
    await db.transaction((tx) =>
      appendEvents(tx, Array.from({ length: 10 }, (_, n) => ({ topic: 'lag', key: `lag-${n}`, type: 'Tick', payload: {} }))),
    );
    const lag = await waitFor(async () => {
      const groups = await getLag(db);
      const fine = groups.find((group) => group.group === 'fine');
      const stalled = groups.find((group) => group.group === 'stalled');
      return fine?.lag === 0 && stalled?.lag === 10 ? { fine, stalled } : null;
    });
    expect(lag.stalled.paused).toBe(true);
    expect(lag.stalled.partitions).toHaveLength(fastPipelineOptions.partitions);
    expect(lag.stalled.partitions.reduce((sum, partition) => sum + partition.endOffset - partition.committedOffset, 0)).toBe(10);
    expect(lag.stalled.oldestUnconsumedAgeMs).toBeGreaterThanOrEqual(0);
    expect(lag.fine.oldestUnconsumedAgeMs).toBeNull();
    expect(lag.fine.partitions.every((partition) => partition.leaseOwner === pipeline.workerId)).toBe(true);
  });

  it('samples lag history and derives throughput from it', async () => {
    const history = await waitFor(async () => {
      const points = await getLagHistory(db, { group: 'stalled' });
      return points.some((point) => point.lag === 10) ? points : null;
    });
    expect(history[0]!.sampledAt).toBeInstanceOf(Date);
    // A day's chart reads the per-minute summary the sampler keeps beside its samples.
    const day = await getLagHistory(db, { group: 'stalled', since: new Date(Date.now() - 24 * 3600_000) });
    expect(day.some((point) => point.lag === 10)).toBe(true);
    await waitFor(async () => (await getThroughput(db, { windowMs: 60_000 })).some((group) => group.group === 'fine'));
  });

  it('traces one key through every group: processed, retrying, dead, replayed, waiting, not subscribed', async () => {
    const ids = await db.transaction((tx) =>
      appendEvents(tx, [
        { topic: 'orders', key: 'order-7', type: 'Order', payload: {} },
        { topic: 'orders', key: 'order-7', type: 'Order', payload: { fail: 'flaky' } },
        { topic: 'orders', key: 'order-7', type: 'Order', payload: { fail: 'dead' } },
        { topic: 'orders', key: 'order-7', type: 'Note', payload: {} },
        { topic: 'orders', key: 'order-7', type: 'Order', payload: { fail: 'dead' } },
        { topic: 'orders', key: 'order-7', type: 'Order', payload: {}, deliverAt: new Date(Date.now() + 3_600_000) },
      ]),
    ).then((rows) => rows.map((row) => row.id));
    await waitFor(async () => (await listRetries(db, { filter: { key: 'order-7' } })).rows.length === 3, { what: '3 retries' });
    // Run the always-failing ones a second (last) time now, then replay one of them.
    await db.execute(sql`update retries set next_attempt_at = now() where event_id in (${ids[2]}::int8, ${ids[4]}::int8)`);
    const dead = await waitFor(async () => {
      const { rows } = await listDeadLetters(db, { filter: { key: 'order-7', status: 'dead' } });
      return rows.length === 2 ? rows : null;
    });
    const replayed = dead.find((row) => row.eventId === ids[4])!;
    await replayDeadLetters(db, { filter: { ids: [replayed.id] }, actor: 'oncall@example.com' });
    await waitFor(async () => (await listRetries(db, { filter: { key: 'order-7' } })).rows.some((row) => row.replayOf === replayed.id && row.attempt === 1));

    const trace = await traceKey(db, { key: 'order-7' });
    const stateOf = (index: number, group: string) => trace[index]!.groups.find((entry) => entry.group === group)!;
    expect(trace.map((event) => event.id)).toEqual(ids);
    expect(stateOf(0, 'picky').delivery).toMatchObject({ state: 'processed', processedAt: expect.any(Date) });
    expect(stateOf(1, 'picky').delivery).toMatchObject({ state: 'retrying', attempt: 1, errorClass: 'RangeError', lastError: 'rejected order-7' });
    expect(stateOf(2, 'picky').delivery).toMatchObject({ state: 'dead', attempts: 2 });
    expect(stateOf(3, 'picky').delivery).toEqual({ state: 'not subscribed' });
    expect(stateOf(3, 'fine').delivery).toMatchObject({ state: 'processed' });
    expect(stateOf(3, 'stalled').delivery).toEqual({ state: 'waiting', reason: 'not yet consumed' });
    expect(stateOf(4, 'picky')).toMatchObject({
      delivery: { state: 'retrying', attempt: 1, replayOf: replayed.id },
      replays: [{ deadLetterId: replayed.id, replayedBy: 'oncall@example.com', replayedAt: expect.any(Date) }],
    });
    expect(trace[5]).toMatchObject({ partition: null, offset: null });
    expect(stateOf(5, 'fine').delivery).toEqual({ state: 'waiting', reason: 'not yet in the log' });
  });

  it('exports lag, relayed, handled, retried and dead-lettered metrics', async () => {
    await waitFor(async () => (await metricsRegistry.getSingleMetricAsString('conveyor_pipeline_consumer_lag')).includes('group="stalled"'));
    const exposition = await metricsRegistry.metrics();
    for (const name of ['relayed', 'handled', 'retried', 'dead_lettered']) {
      expect(exposition).toMatch(new RegExp(`conveyor_pipeline_events_${name}_total(\\{[^}]*\\})? [1-9]`));
    }
    expect(exposition).toMatch(/conveyor_pipeline_consumer_lag\{group="stalled"\} [1-9]/);
  });

  it('lists dead letters newest first with filters and a cursor', async () => {
    const first = await listDeadLetters(db, { filter: { group: 'picky', errorClass: 'RangeError' }, limit: 1 });
    expect(first.rows).toHaveLength(1);
    expect(first.nextCursor).toBe(first.rows[0]!.id);
    const second = await listDeadLetters(db, { filter: { group: 'picky', errorClass: 'RangeError' }, cursor: first.nextCursor, limit: 1 });
    expect(second.rows).toHaveLength(1);
    expect(second.rows[0]!.id).toBeLessThan(first.rows[0]!.id);
    expect(second.nextCursor).toBeNull();
    expect((await listDeadLetters(db, { filter: { group: 'fine' } })).rows).toEqual([]);
  });

  it('retention deletes old consumed events in batches and keeps unconsumed ones', async () => {
    // Two events of one key, so the one asserted on is not its partition's last (which retention keeps).
    const [{ id }] = (await db.transaction((tx) =>
      appendEvents(tx, [
        { topic: 'old', key: 'old', type: 'Tick', payload: {} },
        { topic: 'old', key: 'old', type: 'Tock', payload: {} },
      ]),
    )) as [{ id: string }, { id: string }];
    await waitFor(async () => {
      const events = await traceKey(db, { key: 'old' });
      return events.length === 2 && events.every((event) => event.groups.every((group) => group.group === 'stalled' || group.delivery.state !== 'waiting'));
    });
    await db.execute(sql`update events set logged_at = now() - interval '30 days'`);
    const deleted = await deleteConsumedEvents(db, { olderThanDays: 7, batchSize: 2 });
    // `stalled` has consumed nothing, so nothing may go.
    expect(deleted).toBe(0);
    await db.execute(sql`update consumer_offsets o set committed_offset = p.next_offset
      from log_partitions p where p.partition = o.partition and o."group" = 'stalled'`);
    const retained = await db.execute<{ id: string }>(sql`
      select id::text as id from events e where exists (select 1 from retries r where r.event_id = e.id)
         or exists (select 1 from dead_letters d where d.event_id = e.id)
         or e."offset" = (select p.next_offset - 1 from log_partitions p where p.partition = e.partition)`);
    const before = await db.execute<{ n: number }>(sql`select count(*)::int as n from events`);
    const removed = await deleteConsumedEvents(db, { olderThanDays: 7, batchSize: 2 });
    const left = await db.execute<{ id: string }>(sql`select id::text as id from events order by id`);
    expect(removed).toBe(before[0]!.n - retained.length);
    expect(left.map((row) => row.id).sort()).toEqual(retained.map((row) => row.id).sort());
    expect(left.map((row) => row.id)).not.toContain(id);
  });
});
