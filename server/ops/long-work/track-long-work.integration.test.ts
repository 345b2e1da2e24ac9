import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditLog, longWork, reconciliationRuns } from '@/db/schema';
import { appendEvents, defineConsumer, startPipeline, type PipelineHandle } from '@/server/pipeline';
import { createCaller } from '@/server/trpc/root';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import { listLongWork } from './long-work';
import { startLongWork } from './start-long-work';
import { trackLongWork } from './track-long-work';

const { db } = await createTestDatabase();
const oncall = createCaller({ db, actor: { id: 'oncall-1', email: 'oncall@progress.test', role: 'oncall' } });
const viewer = createCaller({ db, actor: { id: 'viewer-1', email: 'viewer@progress.test', role: 'viewer' } });

const GROUP = 'progress-sms';
const LETTERS = 20;
/** The gateway is down for everything at first; after "recovery" these keys still fail. */
const stillFailing = new Set(['order-3', 'order-11']);
const gateway = { down: true };

let pipeline: PipelineHandle;
beforeAll(async () => {
  pipeline = await startPipeline({
    db,
    ...fastPipelineOptions,
    consumers: [
      defineConsumer({
        group: GROUP,
        types: '*',
        topics: [GROUP],
        maxAttempts: 1,
        handler: async (event) => {
          if (gateway.down || stillFailing.has(event.key)) throw new Error('sms gateway: HTTP 503');
        },
      }),
    ],
  });
  await db.transaction((tx) => appendEvents(tx, Array.from({ length: LETTERS }, (_, n) => ({ topic: GROUP, key: `order-${n}`, type: 'OrderPaid', payload: {} }))));
  await waitFor(async () => {
    const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from dead_letters where "group" = ${GROUP} and status = 'dead'`);
    return row!.n === LETTERS;
  }, { what: `${LETTERS} dead letters`, timeoutMs: 20_000 });
});
afterAll(async () => {
  await pipeline?.stop();
});

describe('progress of a paced dead-letter replay', () => {
  it('starts from the Overview, whose dead letters tile links to the group that holds them', async () => {
    const { tiles } = await viewer.overview.get();
    expect(tiles.find((tile) => tile.key === 'dead-letters')).toMatchObject({
      value: LETTERS,
      href: `/dead-letters?group=${GROUP}`,
      detail: expect.stringMatching(new RegExp(`; most in ${GROUP} \\(${LETTERS}\\)$`)),
    });
  });

  it('advances to done / total as the worker delivers the replays, counting the ones that fail again', async () => {
    // Paced over about four seconds, so the progress can be seen moving.
    vi.stubEnv('REPLAY_RATE_PER_SECOND', '5');
    gateway.down = false;
    const replay = await oncall.deadLetters.replay({ filter: { group: GROUP }, reason: 'SMS gateway recovered', requestId: 'replay-progress-1' });
    expect(replay).toMatchObject({ replayed: LETTERS, remaining: 0 });
    const workId = replay.workId!;

    const [started] = await db.select().from(longWork).where(eq(longWork.id, workId));
    expect(started).toMatchObject({ kind: 'dead_letter_replay', state: 'running', total: LETTERS, done: 0, failures: 0, startedBy: 'oncall@progress.test', reason: 'SMS gateway recovered', startedFrom: '/dead-letters' });
    // Running work is on the Overview's list, and on the screen that started it.
    expect((await viewer.longWork.list({})).work.map((work) => work.id)).toEqual([workId]);

    const seen: { done: number; failures: number; timeLeftMs: number | null }[] = [];
    const finished = await waitFor(
      async () => {
        await trackLongWork(db);
        const [work] = (await viewer.longWork.list({ startedFrom: '/dead-letters' })).work;
        seen.push({ done: work!.done, failures: work!.failures, timeLeftMs: work!.timeLeftMs });
        return work!.state === 'finished' ? work : null;
      },
      { what: 'the replay to finish', timeoutMs: 30_000, intervalMs: 100 },
    );
    vi.unstubAllEnvs();

    expect(finished).toMatchObject({ done: LETTERS, total: LETTERS, failures: stillFailing.size, timeLeftMs: null, startedBy: 'oncall@progress.test' });
    expect(finished.finishedAt).toBeInstanceOf(Date);
    // It moved: counts only grow, and part-way it said how long was left.
    const dones = seen.map((point) => point.done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    expect(seen.some((point) => point.done > 0 && point.done < LETTERS && point.timeLeftMs !== null && point.timeLeftMs > 0)).toBe(true);
    // Ended work leaves the Overview's list and stays on its screen.
    expect((await viewer.longWork.list({})).work).toEqual([]);
    // Every replay ended as counted: the gateway's two refusals are dead letters again.
    const [again] = await db.execute<{ n: number }>(sql`select count(*)::int as n from dead_letters where "group" = ${GROUP} and status = 'dead'`);
    expect(again!.n).toBe(stillFailing.size);
  });

  it('writes a work only when its counts move, not once per delivery', async () => {
    const [before] = await db.select({ updatedAt: longWork.updatedAt }).from(longWork);
    await trackLongWork(db);
    const [after] = await db.select({ updatedAt: longWork.updatedAt }).from(longWork);
    expect(after!.updatedAt).toEqual(before!.updatedAt);
  });

  it('is recorded with who started it and why in the audit log, and a viewer cannot start one', async () => {
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.requestId, 'replay-progress-1'));
    expect(entry).toMatchObject({ action: 'deadLetters.replay', actorEmail: 'oncall@progress.test', reason: 'SMS gateway recovered', outcome: 'ok' });
    await expect(viewer.deadLetters.replay({ filter: { group: GROUP }, reason: 'trying my luck' })).rejects.toThrow(/needs oncall/);
    expect(await db.select().from(longWork).where(eq(longWork.kind, 'dead_letter_replay'))).toHaveLength(1);
  });
});

describe('work whose process died', () => {
  it('is closed as failed once its reconciliation run ended a minute ago without it, and left alone before', async () => {
    const runOf = async (finishedSecondsAgo: number) => {
      const [run] = await db
        .insert(reconciliationRuns)
        .values({
          trigger: 'manual',
          startedBy: 'support@progress.test',
          windowFrom: new Date(),
          windowTo: new Date(),
          status: 'failed',
          error: 'Abandoned: the process running it stopped renewing its lease (it probably stopped); a later run took over and checks the same orders.',
          finishedAt: new Date(Date.now() - finishedSecondsAgo * 1_000),
        })
        .returning();
      return startLongWork(db, { kind: 'reconciliation_run', label: `Reconciliation run ${run!.id}`, startedFrom: '/reconciliation', startedBy: 'support@progress.test', reason: 'checking a payment', total: 40, subject: { reconciliationRunId: run!.id } });
    };
    const abandoned = await runOf(120);
    const justEnded = await runOf(5);
    await trackLongWork(db);
    const [closed] = await db.select().from(longWork).where(eq(longWork.id, abandoned.id));
    expect(closed).toMatchObject({ state: 'failed', error: expect.stringMatching(/^Abandoned: the process running it stopped/) });
    expect(closed!.finishedAt).toBeInstanceOf(Date);
    const [waiting] = await db.select().from(longWork).where(eq(longWork.id, justEnded.id));
    expect(waiting).toMatchObject({ state: 'running' });
  });
});
