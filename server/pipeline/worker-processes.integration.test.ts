import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { appendEvents } from './append-event';
import { createEffectsTable, effectCounts } from './test-support/effects';
import { spawnWorker, stopWorker, type WorkerProcess } from './test-support/spawn-worker';
import { waitFor } from '@/test/wait-for';

const { db, url } = await createTestDatabase();
await createEffectsTable(db);

const running: WorkerProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map(stopWorker));
});

async function worker(id: string, group: string, env: Record<string, string> = {}) {
  const started = await spawnWorker({ DATABASE_URL: url, WORKER_ID: id, GROUP: group, ...env });
  running.push(started);
  return started;
}

async function publish(group: string, count: number, keyOf = (n: number) => `${group}-${n % 37}`) {
  await db.transaction((tx) =>
    appendEvents(tx, Array.from({ length: count }, (_, n) => ({ topic: group, key: keyOf(n), type: 'Work', payload: { n } }))),
  );
}

async function leaseOwners(group: string): Promise<(string | null)[]> {
  const rows = await db.execute<{ owner: string | null }>(sql`
    select case when lease_expires_at > now() then lease_owner end as owner
    from consumer_offsets where "group" = ${group} order by partition`);
  return rows.map((row) => row.owner);
}

describe('worker processes', () => {
  it('a worker stopped with SIGTERM stops between batches and releases its leases at once', async () => {
    const draining = await worker('drain-a', 'drain', { HANDLER_DELAY_MS: '10' });
    await publish('drain', 200);
    await waitFor(async () => (await effectCounts(db, 'drain')).effects > 0, { what: 'the first batch' });
    draining.child.kill('SIGTERM');
    expect(await draining.exited).toBe(0);

    expect(await leaseOwners('drain')).toEqual([null, null, null, null]);
    const [committed] = await db.execute<{ events: number }>(sql`
      select count(*)::int as events from events e join consumer_offsets o on o.partition = e.partition
      where o."group" = 'drain' and e.topic = 'drain' and e."offset" < o.committed_offset`);
    const effects = await effectCounts(db, 'drain');
    expect(effects.effects).toBe(committed!.events);
    expect(effects.events).toBe(effects.effects);
  });
});
