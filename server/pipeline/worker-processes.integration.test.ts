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

async function relayLeader(): Promise<string | null> {
  const rows = await db.execute<{ name: string }>(sql`
    select a.application_name as name from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.objid = 72707002 and l.granted and a.datname = current_database()`);
  return rows[0]?.name ?? null;
}

describe('worker processes', () => {
  it('two worker processes share partitions and no event is processed twice', async () => {
    await Promise.all([worker('share-a', 'share'), worker('share-b', 'share')]);
    await waitFor(async () => {
      const owners = await leaseOwners('share');
      return owners.filter((owner) => owner === 'share-a').length === 2 && owners.filter((owner) => owner === 'share-b').length === 2;
    }, { what: 'an even split of the 4 partitions' });
    await publish('share', 400);
    await waitFor(async () => (await effectCounts(db, 'share')).events === 400, { what: '400 events handled', timeoutMs: 20_000 });
    expect(await effectCounts(db, 'share')).toEqual({ events: 400, effects: 400 });
    const byWorker = await db.execute<{ worker: string; n: number }>(sql`
      select worker, count(*)::int as n from test_effects where "group" = 'share' group by worker order by worker`);
    expect(byWorker.map((row) => row.worker)).toEqual(['share-a', 'share-b']);
  });

  it('a worker killed with SIGKILL mid-batch loses nothing and its partitions move to the survivor', async () => {
    const [victim] = await Promise.all([
      worker('kill-a', 'kill', { HANDLER_DELAY_MS: '5' }),
      worker('kill-b', 'kill', { HANDLER_DELAY_MS: '5' }),
    ]);
    await waitFor(async () => (await leaseOwners('kill')).every((owner) => owner !== null), { what: 'all partitions leased' });
    await publish('kill', 400);
    await waitFor(async () => {
      const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from test_effects where worker = 'kill-a'`);
      return row!.n > 0;
    }, { what: 'the victim to commit a batch' });
    victim!.child.kill('SIGKILL');
    await victim!.exited;

    await waitFor(async () => (await leaseOwners('kill')).every((owner) => owner === 'kill-b'), { what: 'the survivor to take over', timeoutMs: 10_000 });
    await waitFor(async () => (await effectCounts(db, 'kill')).events === 400, { what: '400 events handled', timeoutMs: 20_000 });
    expect(await effectCounts(db, 'kill')).toEqual({ events: 400, effects: 400 });
  });

  it('a crash between a handler effect and the offset commit does not repeat the effect', async () => {
    const crashing = await worker('crash-a', 'crash', { CRASH_ON_KEY: 'crash-poison', RELAY: 'on' });
    await publish('crash', 60, (n) => (n === 30 ? 'crash-poison' : `crash-${n % 11}`));
    expect(await crashing.exited).toBeNull();
    await worker('crash-b', 'crash');
    await waitFor(async () => (await effectCounts(db, 'crash')).events === 60, { what: '60 events handled', timeoutMs: 15_000 });
    expect(await effectCounts(db, 'crash')).toEqual({ events: 60, effects: 60 });
  });

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
    await waitFor(async () => (await effectCounts(db, 'relay')).events === 10, { what: 'events relayed by the new leader' });
  });
});
