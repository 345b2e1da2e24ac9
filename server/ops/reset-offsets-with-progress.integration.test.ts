import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvals, longWork } from '@/db/schema';
import { createUser } from '@/server/auth/create-user';
import { appendEvents, defineConsumer, startPipeline, type PipelineHandle } from '@/server/pipeline';
import { createCaller } from '@/server/trpc/root';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import { trackLongWork } from './long-work/track-long-work';

const { db } = await createTestDatabase();
const requester = await createUser(db, { email: 'first@reset-progress.test', name: 'First', role: 'oncall', password: 'long-enough-1' });
const approver = await createUser(db, { email: 'second@reset-progress.test', name: 'Second', role: 'oncall', password: 'long-enough-2' });
const as = (user: typeof requester) => createCaller({ db, actor: { id: user.id, email: user.email, role: user.role } });
const viewer = createCaller({ db, actor: { id: 'viewer-1', email: 'viewer@reset-progress.test', role: 'viewer' } });

const GROUP = 'reset-progress';
const EVENTS = 30;
/** Redelivered, these fail (the bug the reset is for is fixed for every other order). */
const stillFailing = new Set(['order-4', 'order-17']);
/** Redeliveries past the first few wait for the test to let them go, so progress is seen part-way. */
const redelivery = { on: false, handled: 0, held: null as null | { promise: Promise<void>; release(): void } };
const hold = () => {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
};

let pipeline: PipelineHandle;
beforeAll(async () => {
  pipeline = await startPipeline({
    db,
    ...fastPipelineOptions,
    consumers: [
      defineConsumer({
        group: GROUP,
        types: ['OrderPaid'],
        topics: [GROUP],
        maxAttempts: 1,
        batchSize: 2,
        handler: async (event) => {
          if (!redelivery.on) return;
          if (++redelivery.handled > 10 && redelivery.held) await redelivery.held.promise;
          if (stillFailing.has(event.key)) throw new Error('points ledger: still refusing');
        },
      }),
    ],
  });
  await db.transaction((tx) =>
    appendEvents(tx, [
      ...Array.from({ length: EVENTS }, (_, n) => ({ topic: GROUP, key: `order-${n}`, type: 'OrderPaid', payload: {} })),
      // Not subscribed: moved over, never redelivered, not counted.
      ...Array.from({ length: 5 }, (_, n) => ({ topic: GROUP, key: `order-${n}`, type: 'OrderViewed', payload: {} })),
    ]),
  );
  await waitFor(async () => {
    const [row] = await db.execute<{ passed: number }>(sql`select coalesce(sum(committed_offset), 0)::int as passed from consumer_offsets where "group" = ${GROUP}`);
    return row!.passed === EVENTS + 5;
  }, { what: 'the group to consume the log', timeoutMs: 20_000 });
});
afterAll(async () => {
  redelivery.held?.release();
  await pipeline?.stop();
});

const queuesWork = async () => (await viewer.longWork.list({ startedFrom: '/queues' })).work;

describe("progress of an offset reset's redelivery", () => {
  it('is started when the second person approves the reset, with the dry run count as its total', async () => {
    const reset = { group: GROUP, time: new Date(0), reason: 'points were lost by the ledger bug' };
    const preview = await viewer.queues.previewReset({ group: GROUP, time: reset.time });
    expect(preview.redelivered).toBe(EVENTS);
    await expect(as(requester).queues.resetOffsets(reset)).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(await db.select().from(longWork)).toEqual([]);

    redelivery.on = true;
    redelivery.held = hold();
    const [waiting] = await db.select().from(approvals).where(eq(approvals.action, 'queues.resetOffsets'));
    const approved = await as(approver).approvals.approve({ approvalId: waiting!.id, reason: 'ledger fix deployed' });
    expect(approved.status).toBe('executed');

    const [work] = await queuesWork();
    expect(work).toMatchObject({ kind: 'offset_reset_redelivery', state: 'running', total: preview.redelivered, startedBy: 'first@reset-progress.test', startedFrom: '/queues' });
    expect(work!.label).toBe(`Redeliver ${EVENTS} events to ${GROUP} (offsets reset to 1970-01-01T00:00:00.000Z)`);
    expect(work!.reason).toMatch(/^points were lost by the ledger bug/);
    // Running, so on the Overview's list too.
    expect((await viewer.longWork.list({})).work.map((running) => running.id)).toEqual([work!.id]);
  });

  it('counts what the group has processed again as its offsets move, with time left, while part of it waits', async () => {
    const partWay = await waitFor(async () => {
      await trackLongWork(db);
      const [work] = await queuesWork();
      return work!.done >= 6 ? work : null;
    }, { what: 'the first redeliveries to be counted', timeoutMs: 15_000, intervalMs: 100 });
    expect(partWay).toMatchObject({ state: 'running', timeLeftMs: expect.any(Number) });
    expect(partWay.done).toBeLessThan(EVENTS);
    expect(partWay.timeLeftMs).toBeGreaterThan(0);
  });

  it('finishes once the group caught up past the reset range, counting the redeliveries that failed', async () => {
    redelivery.held!.release();
    const seen: number[] = [];
    const finished = await waitFor(async () => {
      await trackLongWork(db);
      const [work] = await queuesWork();
      seen.push(work!.done);
      return work!.state === 'finished' ? work : null;
    }, { what: 'the redelivery to finish', timeoutMs: 20_000, intervalMs: 100 });
    expect(finished).toMatchObject({ done: EVENTS, total: EVENTS, failures: stillFailing.size, timeLeftMs: null });
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    // Every event was handled again (a batch held past its lease may have been handled twice).
    expect(redelivery.handled).toBeGreaterThanOrEqual(EVENTS);
    // Off the Overview, still on the Queues screen.
    expect((await viewer.longWork.list({})).work).toEqual([]);
    const [dead] = await db.execute<{ n: number }>(sql`select count(*)::int as n from dead_letters where "group" = ${GROUP}`);
    expect(dead!.n).toBe(stillFailing.size);
  });

  it('is not started by a reset that moves nothing back', async () => {
    await as(approver).queues.resetOffsets({ group: GROUP, time: new Date(Date.now() + 60_000), reason: 'skip to now' }).catch(() => {});
    const [waiting] = await db.select().from(approvals).where(eq(approvals.status, 'pending'));
    await as(requester).approvals.approve({ approvalId: waiting!.id, reason: 'fine' });
    expect(await db.select({ id: longWork.id }).from(longWork)).toHaveLength(1);
  });
});
