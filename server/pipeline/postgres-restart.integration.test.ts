import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase, type Database } from '@/db/client';
import { type ControlledPostgres, startControlledPostgres } from '@/db/controlled-postgres';
import { migrateDatabase } from '@/db/migrate';
import { appendEvents } from './append-event';
import { createEffectsTable } from './test-support/effects';
import { spawnWorker, stopWorker, type WorkerProcess } from './test-support/spawn-worker';
import { waitFor } from '@/test/wait-for';

// A server of this file's own: restarting the shared test server would break every other file.
const root = path.resolve(`.data/test-restart-${process.pid}`);
const GROUP = 'restart';
let server: ControlledPostgres;
let db: Database;
let worker: WorkerProcess | null = null;

beforeAll(async () => {
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o755);
  server = await startControlledPostgres({ dataDir: path.join(root, 'pg'), databases: ['conveyor'] });
  db = createDatabase(server.url('conveyor'), { max: 4 });
  await migrateDatabase(db);
  await createEffectsTable(db);
}, 120_000);

afterAll(async () => {
  // A worker that cannot drain (what this test exists to catch) is killed, so the server still stops.
  if (worker) {
    const killed = setTimeout(() => worker!.child.kill('SIGKILL'), 10_000);
    await stopWorker(worker);
    clearTimeout(killed);
  }
  if (db) await closeDatabase(db).catch(() => {});
  try {
    server?.stop('fast');
  } catch {
    // already stopped
  }
  rmSync(root, { recursive: true, force: true });
}, 60_000);

const append = (type: string, count: number) =>
  db.transaction((tx) => appendEvents(tx, Array.from({ length: count }, (_, n) => ({ topic: GROUP, key: `${type}-${n % 7}`, type, payload: { n } }))));

/** How many events of `type` exist (not yet relayed or in the log), and how often they were handled. */
async function progress(type: string) {
  const [row] = await db.execute<{ appended: number; handled: number; effects: number }>(sql`
    select (select count(*) from outbox where type = ${type})::int + (select count(*) from events where type = ${type})::int as appended,
           (select count(distinct event_id) from test_effects where type = ${type})::int as handled,
           (select count(*) from test_effects where type = ${type})::int as effects`);
  return row!;
}

/** Appends once: right after a restart the pool's first attempts may meet dead connections. */
async function appendOnce(type: string, count: number) {
  await waitFor(
    async () => {
      try {
        if ((await progress(type)).appended > 0) return true;
        await append(type, count);
        return true;
      } catch {
        return false;
      }
    },
    { what: `${type} appended`, timeoutMs: 30_000, intervalMs: 100 },
  );
}

describe('PostgreSQL restarted immediately under a running worker', () => {
  it('the worker process stays alive and handles the events appended after each restart exactly once', async () => {
    worker = await spawnWorker({ DATABASE_URL: server.url('conveyor'), WORKER_ID: 'restart-a', GROUP, RELAY: 'on', HANDLER_DELAY_MS: '2' });
    const running = worker;
    const alive = () => running.child.exitCode === null && running.child.signalCode === null;
    const handled = async (type: string, count: number) => {
      if (!alive()) throw new Error(`the worker exited (code ${running.child.exitCode}, signal ${running.child.signalCode})`);
      return (await progress(type).catch(() => null))?.handled === count;
    };

    // Events keep flowing while the server goes away and comes back.
    let flowing = true;
    let flowBatches = 0;
    const flow = (async () => {
      while (flowing) {
        await append('Flow', 5).then(() => flowBatches++, () => {});
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    await appendOnce('BeforeRestarts', 20);
    await waitFor(() => handled('BeforeRestarts', 20), { what: 'events handled before any restart', timeoutMs: 20_000 });

    for (const restart of [1, 2, 3]) {
      const flowed = flowBatches;
      await waitFor(async () => flowBatches > flowed, { what: 'events flowing before the restart' });
      server.stop('immediate');
      server.start();
      const type = `AfterRestart${restart}`;
      await appendOnce(type, 20);
      await waitFor(() => handled(type, 20), { what: `${type} handled`, timeoutMs: 30_000, intervalMs: 100 });
      expect(await progress(type)).toEqual({ appended: 20, handled: 20, effects: 20 });
    }

    flowing = false;
    await flow;
    // Every flowing event that made it into the outbox, including those appended across restarts, once.
    await waitFor(
      async () => {
        const flowProgress = await progress('Flow');
        return flowProgress.handled === flowProgress.appended && flowProgress;
      },
      { what: 'every flowing event handled', timeoutMs: 30_000, intervalMs: 100 },
    );
    const flowProgress = await progress('Flow');
    expect(flowProgress.effects).toBe(flowProgress.appended);
    expect(flowProgress.appended).toBeGreaterThanOrEqual(flowBatches * 5);
    expect(alive()).toBe(true);
  }, 180_000);
});
