import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { pipelineOpsHooks } from '@/server/ops/pipeline-hooks';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import { appendEvent, appendEvents } from '../append-event';
import { defineConsumer } from '../define-consumer';
import type { PipelineLog } from '../pipeline-log';
import { replayDeadLetters } from '../replay-dead-letters';
import { offsetResetProgress } from '../offset-reset-progress';
import { resetGroupOffsets } from '../reset-group-offsets';
import { startPipeline, type PipelineHandle } from '../start-pipeline';
import type { ConsumerDefinition } from '../types';
import { effectCounts, flakyConsumer, recordEffect } from './effects';
import { spawnWorker, stopWorker, type WorkerProcess } from './spawn-worker';

export interface ContractSubject {
  db: Database;
  url: string;
  log: PipelineLog;
  /** What a worker process (test-support/worker-process.ts) is given to run on the same log. */
  workerEnv: Record<string, string>;
}

/**
 * The engine's behaviour as the order system relies on it, whichever log carries the events: one
 * suite, run by one test file per log (pipeline-contract.*.integration.test.ts).
 */
export function describePipelineContract(logName: string, subject: () => ContractSubject): void {
  let pipeline: PipelineHandle | null = null;
  const workers: WorkerProcess[] = [];
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = null;
    await Promise.all(workers.splice(0).map(stopWorker));
  });

  async function run(consumers: ConsumerDefinition[]) {
    const { db, log } = subject();
    // The hooks the product runs with, so a dead letter raises its alert as in production.
    pipeline = await startPipeline({ db, consumers, log, ...fastPipelineOptions, hooks: pipelineOpsHooks });
  }

  async function worker(id: string, group: string, env: Record<string, string> = {}) {
    const { url, workerEnv } = subject();
    const started = await spawnWorker({ DATABASE_URL: url, WORKER_ID: id, GROUP: group, ...workerEnv, ...env });
    workers.push(started);
    return started;
  }

  const db = () => subject().db;
  const rowsOf = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) => [...(await db().execute<T>(query))];

  async function publish(group: string, count: number, keyOf = (n: number) => `${group}-${n % 37}`) {
    await db().transaction((tx) =>
      appendEvents(tx, Array.from({ length: count }, (_, n) => ({ topic: group, key: keyOf(n), type: 'Work', payload: { n } }))),
    );
  }

  async function leaseOwners(group: string): Promise<(string | null)[]> {
    const rows = await rowsOf<{ owner: string | null }>(sql`
      select case when lease_expires_at > now() then lease_owner end as owner
      from consumer_offsets where "group" = ${group} order by partition`);
    return rows.map((row) => row.owner);
  }

  async function relayLeader(): Promise<string | null> {
    const rows = await rowsOf<{ name: string }>(sql`
      select a.application_name as name from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.objid = 72707002 and l.granted and a.datname = current_database()`);
    return rows[0]?.name ?? null;
  }

  describe(`the pipeline on the ${logName} log`, () => {
    it('a rolled-back transaction leaves no event, and a committed one after it is delivered', async () => {
      const seen: string[] = [];
      await run([defineConsumer({ group: 'rollback', types: '*', topics: ['rollback'], handler: async (event) => void seen.push(event.type) })]);
      await expect(
        db().transaction(async (tx) => {
          await appendEvent(tx, { topic: 'rollback', key: 'k', type: 'RolledBack', payload: {} });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      await db().transaction((tx) => appendEvent(tx, { topic: 'rollback', key: 'k', type: 'Committed', payload: {} }));
      await waitFor(async () => seen.includes('Committed'), { what: 'the committed event' });
      expect(seen).toEqual(['Committed']);
      expect(await rowsOf(sql`select 1 from events where topic = 'rollback'`)).toHaveLength(1);
    });

    it('delivers the events of one key in append order within a group', async () => {
      const seen: number[] = [];
      await run([
        defineConsumer({
          group: 'ordering',
          types: ['Step'],
          topics: ['ordering'],
          batchSize: 7,
          handler: async (event) => void seen.push((event.payload as { n: number }).n),
        }),
      ]);
      for (let n = 0; n < 60; n += 3) {
        await db().transaction((tx) => appendEvents(tx, [0, 1, 2].map((i) => ({ topic: 'ordering', key: 'one-key', type: 'Step', payload: { n: n + i } }))));
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
      const ids = await db().transaction((tx) =>
        appendEvents(tx, [1, 2, 3, 4, 5].map((n) => ({ topic: 'second-fails', key: 'k', type: 'Numbered', payload: { n } }))),
      );
      await waitFor(async () => (await effectCounts(db(), 'second-fails')).events === 4, { what: '4 effects' });
      const processed = await rowsOf<{ id: string }>(sql`select event_id::text as id from processed_events where "group" = 'second-fails' order by event_id`);
      expect(processed.map((row) => row.id)).toEqual([ids[0]!.id, ids[2]!.id, ids[3]!.id, ids[4]!.id]);
      const retries = await rowsOf(sql`
        select event_id::text as "eventId", attempt, error_class as "errorClass", last_error as "lastError" from retries where "group" = 'second-fails'`);
      expect(retries).toEqual([{ eventId: ids[1]!.id, attempt: 1, errorClass: 'TypeError', lastError: 'cannot handle two' }]);
      expect(await effectCounts(db(), 'second-fails')).toEqual({ events: 4, effects: 4 });
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
      const { id } = await db().transaction((tx) => appendEvent(tx, { topic: 'always-fails', key: 'k', type: 'Anything', payload: {} }));
      const [dead] = await waitFor(
        async () => {
          const rows = await rowsOf<{ eventId: string; attempts: number; errors: { message: string }[]; status: string }>(sql`
            select event_id::text as "eventId", attempts, errors, status from dead_letters where "group" = 'always-fails'`);
          return rows.length > 0 ? rows : null;
        },
        { what: 'a dead letter' },
      );
      expect(dead).toMatchObject({ eventId: id, attempts: 4, status: 'dead' });
      expect(dead!.errors.map((error) => error.message)).toEqual(['boom 1', 'boom 2', 'boom 3', 'boom 4']);
      expect(attemptsAt.map((entry) => entry.attempt)).toEqual([1, 2, 3, 4]);
      // Equal jitter: the wait before attempt n+1 is at least half of base * 2^(n-1).
      const gaps = attemptsAt.slice(1).map((entry, i) => entry.at - attemptsAt[i]!.at);
      expect(gaps[0]).toBeGreaterThanOrEqual(50);
      expect(gaps[1]).toBeGreaterThanOrEqual(100);
      expect(gaps[2]).toBeGreaterThanOrEqual(200);
      expect(await rowsOf(sql`select 1 from retries where "group" = 'always-fails'`)).toHaveLength(0);
      const alerts = await rowsOf(sql`select kind, status from alerts where dedupe_key = 'pipeline.dead_letter:always-fails'`);
      expect(alerts).toEqual([{ kind: 'pipeline.dead_letter', status: 'open' }]);
    });

    it('a replayed dead letter is processed and the original kept', async () => {
      const state = { failing: true };
      await run([flakyConsumer('replay', state)]);
      const { id } = await db().transaction((tx) => appendEvent(tx, { topic: 'replay', key: 'k', type: 'Pushed', payload: {} }));
      const [dead] = await waitFor(() =>
        rowsOf<{ id: number }>(sql`select id::int as id from dead_letters where "group" = 'replay'`).then((rows) => (rows.length ? rows : null)),
      );
      const preview = await replayDeadLetters(db(), { filter: { group: 'replay' }, actor: 'oncall@example.com', dryRun: true });
      expect(preview).toMatchObject({ dryRun: true, count: 1, sample: [{ id: dead!.id, eventId: id }] });

      state.failing = false;
      const result = await replayDeadLetters(db(), { filter: { ids: [dead!.id] }, actor: 'oncall@example.com' });
      expect(result).toMatchObject({ dryRun: false, replays: [{ deadLetterId: dead!.id }] });
      await waitFor(async () => (await effectCounts(db(), 'replay')).effects === 1, { what: 'the replay to be processed' });
      const letters = await rowsOf(sql`select id::int as id, status, replayed_by as "replayedBy" from dead_letters where "group" = 'replay'`);
      expect(letters).toEqual([{ id: dead!.id, status: 'replayed', replayedBy: 'oncall@example.com' }]);
    });

    it('an offset reset redelivers exactly the dry-run count', async () => {
      let deliveries = 0;
      await run([
        defineConsumer({
          group: 'reset',
          types: ['Counted'],
          topics: ['reset'],
          handler: async (event, { tx, group }) => {
            deliveries++;
            await recordEffect(tx, group, event);
          },
        }),
      ]);
      await db().transaction((tx) =>
        appendEvents(tx, [
          ...Array.from({ length: 12 }, (_, n) => ({ topic: 'reset', key: `k${n}`, type: 'Counted', payload: {} })),
          ...Array.from({ length: 5 }, (_, n) => ({ topic: 'reset', key: `k${n}`, type: 'NotSubscribed', payload: {} })),
        ]),
      );
      // Effects commit with the offsets, so the resets below start from where the group really is.
      await waitFor(async () => (await effectCounts(db(), 'reset')).events === 12, { what: 'first deliveries committed' });
      const [lastRelayed] = await rowsOf<{ at: string }>(sql`select max(logged_at)::text as at from events where topic = 'reset'`);
      await db().transaction((tx) => appendEvents(tx, Array.from({ length: 4 }, (_, n) => ({ topic: 'reset', key: `late${n}`, type: 'Counted', payload: {} }))));
      await waitFor(async () => (await effectCounts(db(), 'reset')).events === 16, { what: 'later deliveries committed' });

      const since = new Date(new Date(lastRelayed!.at).getTime() + 1);
      const recent = await resetGroupOffsets(db(), { group: 'reset', to: { time: since }, actor: 'oncall@example.com', dryRun: true });
      expect(recent.redelivered).toBe(4);
      const everything = await resetGroupOffsets(db(), { group: 'reset', to: { offset: 0 }, actor: 'oncall@example.com', dryRun: true });
      expect(everything.redelivered).toBe(16);

      deliveries = 0;
      const resetAt = new Date();
      const applied = await resetGroupOffsets(db(), { group: 'reset', to: { offset: 0 }, actor: 'oncall@example.com' });
      expect(applied.redelivered).toBe(everything.redelivered);
      await waitFor(async () => (await resetGroupOffsets(db(), { group: 'reset', to: { offset: 0 }, actor: 'x', dryRun: true })).redelivered === 16 && deliveries >= 16, {
        what: 'the redeliveries and the group caught up again',
      });
      // The redelivery's progress, read from the same offsets whichever log runs.
      const ranges = applied.partitions.filter((partition) => partition.to < partition.from);
      await waitFor(async () => (await offsetResetProgress(db(), { group: 'reset', ranges, since: resetAt })).caughtUp, { what: 'the redelivery to be seen caught up' });
      expect(await offsetResetProgress(db(), { group: 'reset', ranges, since: resetAt })).toEqual({ remaining: 0, failures: 0, caughtUp: true });
      expect(await offsetResetProgress(db(), { group: 'reset', ranges: ranges.map((range) => ({ ...range, from: range.from + 1_000 })), since: resetAt })).toMatchObject({ caughtUp: false });
      expect(deliveries).toBe(everything.redelivered);
      expect(await effectCounts(db(), 'reset')).toEqual({ events: 16, effects: 32 });
    });

    it('does not deliver a delayed event early and delivers it within a second of its time', async () => {
      let deliveredAt: number | null = null;
      await run([defineConsumer({ group: 'delayed', types: ['Timeout'], topics: ['delayed'], handler: async () => void (deliveredAt = Date.now()) })]);
      const deliverAt = new Date(Date.now() + 1_500);
      await db().transaction((tx) => appendEvent(tx, { topic: 'delayed', key: 'k', type: 'Timeout', payload: {}, deliverAt }));
      await waitFor(async () => deliveredAt !== null, { what: 'the delayed delivery' });
      expect(deliveredAt!).toBeGreaterThanOrEqual(deliverAt.getTime());
      expect(deliveredAt! - deliverAt.getTime()).toBeLessThan(1_000);
    });

    it('two worker processes share partitions and no event is processed twice', async () => {
      await Promise.all([worker('share-a', 'share'), worker('share-b', 'share')]);
      await waitFor(async () => {
        const owners = await leaseOwners('share');
        return owners.filter((owner) => owner === 'share-a').length === 2 && owners.filter((owner) => owner === 'share-b').length === 2;
      }, { what: 'an even split of the 4 partitions' });
      await publish('share', 400);
      await waitFor(async () => (await effectCounts(db(), 'share')).events === 400, { what: '400 events handled', timeoutMs: 20_000 });
      expect(await effectCounts(db(), 'share')).toEqual({ events: 400, effects: 400 });
      const byWorker = await rowsOf<{ worker: string }>(sql`select worker from test_effects where "group" = 'share' group by worker order by worker`);
      expect(byWorker.map((row) => row.worker)).toEqual(['share-a', 'share-b']);
    });

    it('a worker killed with SIGKILL mid-batch loses nothing and its partitions move to the survivor', async () => {
      const [victim] = await Promise.all([worker('kill-a', 'kill', { HANDLER_DELAY_MS: '5' }), worker('kill-b', 'kill', { HANDLER_DELAY_MS: '5' })]);
      await waitFor(async () => (await leaseOwners('kill')).every((owner) => owner !== null), { what: 'all partitions leased' });
      await publish('kill', 400);
      await waitFor(async () => (await rowsOf(sql`select 1 from test_effects where worker = 'kill-a' limit 1`)).length > 0, { what: 'the victim to commit a batch' });
      victim!.child.kill('SIGKILL');
      await victim!.exited;
      await waitFor(async () => (await leaseOwners('kill')).every((owner) => owner === 'kill-b'), { what: 'the survivor to take over', timeoutMs: 10_000 });
      await waitFor(async () => (await effectCounts(db(), 'kill')).events === 400, { what: '400 events handled', timeoutMs: 20_000 });
      expect(await effectCounts(db(), 'kill')).toEqual({ events: 400, effects: 400 });
    });

    it('a crash between a handler effect and the commit and ack repeats nothing', async () => {
      const crashing = await worker('crash-a', 'crash', { CRASH_ON_KEY: 'crash-poison' });
      await publish('crash', 60, (n) => (n === 30 ? 'crash-poison' : `crash-${n % 11}`));
      expect(await crashing.exited).toBeNull();
      await worker('crash-b', 'crash');
      await waitFor(async () => (await effectCounts(db(), 'crash')).events === 60, { what: '60 events handled', timeoutMs: 15_000 });
      expect(await effectCounts(db(), 'crash')).toEqual({ events: 60, effects: 60 });
    });

    it('the relay leader killed with SIGKILL is replaced', async () => {
      const first = await worker('relay-a', 'relay');
      await waitFor(async () => (await relayLeader()) === 'relay-a', { what: 'relay-a to lead' });
      await worker('relay-b', 'relay');
      first.child.kill('SIGKILL');
      await first.exited;
      const killedAt = Date.now();
      await waitFor(async () => (await relayLeader()) === 'relay-b', { what: 'relay-b to lead', timeoutMs: 5_000 });
      expect(Date.now() - killedAt).toBeLessThan(3_000);
      await publish('relay', 10);
      await waitFor(async () => (await effectCounts(db(), 'relay')).events === 10, { what: 'events relayed by the new leader' });
      expect(await effectCounts(db(), 'relay')).toEqual({ events: 10, effects: 10 });
    });
  });
}
