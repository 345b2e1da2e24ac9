import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { sql } from 'drizzle-orm';
import postgres, { type Sql } from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@/test/wait-for';
import { createTestDatabase } from '@/test/database';
import { closeDatabase, createDatabase } from './client';
import { isDatabaseUnavailable } from './database-unavailable';
import { skus } from './schema';

/**
 * postgres.js as patched by patches/postgres-driver.mjs (porsager/postgres#1208): a
 * reservation or transaction whose backend died must reject, never write to the dead
 * connection (an uncaught exception from a timer in 3.4.9), and the pool must serve the
 * next query on a fresh connection instead of hanging. A connection lost while it fetches
 * the array types must not leave an unhandled rejection behind (porsager/postgres#1192). A
 * transaction whose BEGIN fills its connection's pipeline must still own that connection
 * (porsager/postgres#1189), and a connection reset mid-transaction must leave nothing waiting
 * on the dead session to take the next session's answers.
 */
const { url, db } = await createTestDatabase({ max: 2 });

let closedConnections = 0;
let client: Sql;
let killer: Sql;
const uncaught: unknown[] = [];
const recordUncaught = (error: unknown) => uncaught.push(error);

beforeAll(() => {
  process.on('uncaughtException', recordUncaught);
  process.on('unhandledRejection', recordUncaught);
  client = postgres(url, { max: 2, onnotice: () => {}, onclose: () => closedConnections++ });
  killer = postgres(url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  process.off('uncaughtException', recordUncaught);
  process.off('unhandledRejection', recordUncaught);
  await client.end({ timeout: 1 });
  await killer.end({ timeout: 1 });
});

afterEach(async () => {
  // A throw from a setImmediate callback (postgres.js writes from one) lands after the awaited
  // rejection. Immediates run in the order they were queued, so once one queued now has run, so
  // has every write queued before it; the second covers writes those queued in turn.
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(uncaught.map(String)).toEqual([]);
});

/** Terminates a backend and waits until the client has seen its connection close. */
async function killBackend(pid: number) {
  const before = closedConnections;
  await killer`select pg_terminate_backend(${pid})`;
  await waitFor(async () => closedConnections > before, { what: 'the client to see the connection close' });
}

/**
 * Terminates a backend from another process and returns once the server has closed it (it is
 * gone from pg_stat_activity). This process's event loop is blocked all the while, so no client
 * here has read the server's goodbye or seen the socket close: the window a loaded worker or
 * order API sits in when PostgreSQL restarts between two statements of a transaction.
 */
function terminateBackendUnseen(pid: number) {
  const script = `
    import postgres from 'postgres';
    const sql = postgres(process.env.TARGET_URL, { max: 1, onnotice: () => {} });
    const pid = Number(process.env.TARGET_PID);
    await sql\`select pg_terminate_backend(\${pid})\`;
    const deadline = Date.now() + 10_000;
    while ((await sql\`select 1 from pg_stat_activity where pid = \${pid}\`).length > 0) {
      if (Date.now() > deadline) throw new Error('backend ' + pid + ' still in pg_stat_activity after 10 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await sql.end();`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: process.cwd(),
    env: { ...process.env, TARGET_URL: url, TARGET_PID: String(pid) },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`terminating backend ${pid} failed: ${run.stderr || run.error}`);
}

async function answersWithin(ms: number, query: () => Promise<unknown>) {
  return Promise.race([query(), new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
}

describe('postgres.js on a connection whose backend died', () => {
  it('rejects the next query of a reservation instead of writing to the dead connection, and release() gives the pool nothing dead', async () => {
    const reserved = await client.reserve();
    const [row] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
    await killBackend(row!.pid);

    await expect(reserved`select 1`).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    reserved.release();

    for (let n = 0; n < 4; n++) expect(await answersWithin(5_000, () => client`select 1 as one`)).toEqual([{ one: 1 }]);
    const again = await client.reserve();
    expect(await answersWithin(5_000, () => again`select 2 as two`)).toEqual([{ two: 2 }]);
    again.release();
  });

  it('rejects a transaction whose statement was in flight, without writing its own rollback to the dead connection; the next session starts clean', async () => {
    // One connection, so the next query must reconnect the very connection that died.
    const single = postgres(url, { max: 1, onnotice: () => {} });
    try {
      let pid: number | null = null;
      const transaction = single.begin(async (tx) => {
        pid = (await tx<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;
        await tx`select pg_sleep(5)`;
      });
      // In flight: the backend is running the sleep, not merely done with the statement before it.
      await waitFor(async () => pid !== null && (await killer`select 1 from pg_stat_activity where pid = ${pid} and state = 'active' and query like 'select pg_sleep%'`).length > 0, {
        what: 'the sleep to run on the backend',
      });
      await killer`select pg_terminate_backend(${pid})`;

      await expect(transaction).rejects.toThrow();
      // Not the dead statement's "terminating connection" error handed on to the new session.
      expect(await answersWithin(5_000, () => single`select 1 as one`)).toEqual([{ one: 1 }]);
    } finally {
      await single.end({ timeout: 1 });
    }
  });

  it('rejects the next statement of a transaction left idle when its backend died, and every statement after it', async () => {
    let pid: number | null = null;
    let resume!: () => void;
    const idle = new Promise<void>((resolve) => (resume = resolve));
    const statements: unknown[] = [];
    const transaction = client.begin(async (tx) => {
      pid = (await tx<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;
      await idle;
      for (const statement of [tx`select 1`, tx`select 2`]) statements.push(await statement.catch((error: { code?: string }) => error.code));
      await tx`select 3`;
    });
    transaction.catch(() => {});
    await waitFor(async () => pid);
    await killBackend(pid!);
    resume();

    await expect(transaction).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    await waitFor(async () => statements.length === 2, { what: 'both statements to settle' });
    expect(statements).toEqual(['CONNECTION_CLOSED', 'CONNECTION_CLOSED']);
    expect(await answersWithin(5_000, () => client`select 1 as one`)).toEqual([{ one: 1 }]);
  });

  it('rejects the next statement of a transaction whose backend the server closed before the client saw it, as the database being unavailable', async () => {
    const transaction = db.transaction(async (tx) => {
      const [row] = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
      terminateBackendUnseen(row!.pid);
      await tx.execute(sql`select 2`);
    });

    const failure = await transaction.then(
      () => new Error('the transaction committed on a dead connection'),
      (error: unknown) => error,
    );
    // Retryable: the order API answers it 503 with retry-after, a consumer retries the batch.
    expect(isDatabaseUnavailable(failure), String(failure)).toBe(true);
    expect(await answersWithin(5_000, () => db.execute(sql`select 1 as one`))).toEqual([{ one: 1 }]);
  });
});

describe('postgres.js transactions on a busy pool', () => {
  it('a transaction whose BEGIN fills its connection\'s pipeline owns that connection and commits, leaving no session inside a transaction', async () => {
    // What a flash sale does to POST /api/orders: every connection busy, queries pipelined up to
    // postgres.js's limit, and now and then the query that reaches the limit is a BEGIN.
    const applicationName = `full-pipeline-${process.pid}`;
    const busy = createDatabase(url, { max: 2, applicationName });
    try {
      await Promise.all([busy.$client`select 1`, busy.$client`select 1`]);
      const held = await busy.$client.reserve();
      // Dispatched before any answer can be read, so all of them land on the one connection left.
      const { max_pipeline: maxPipeline } = busy.$client.options as unknown as { max_pipeline: number };
      const ahead = Array.from({ length: maxPipeline }, () => busy.$client`select 1`.execute());
      const transaction = busy.transaction(async (tx) => {
        await tx.insert(skus).values({ sku: applicationName, name: 'pipeline', priceCents: 100, total: 1, available: 1 });
        return (await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`))[0]!.pid;
      });

      const pid = await transaction;
      await Promise.all(ahead);
      held.release();

      expect(await db.select({ sku: skus.sku }).from(skus).where(sql`${skus.sku} = ${applicationName}`)).toEqual([{ sku: applicationName }]);
      await waitFor(
        async () => (await killer`select 1 from pg_stat_activity where application_name = ${applicationName} and state <> 'idle'`).length === 0,
        { what: `every session of the pool to be idle (backend ${pid} ran the transaction)` },
      );
    } finally {
      await closeDatabase(busy);
    }
  });
});

/**
 * A TCP proxy to the test server that resets the first connection whose client sends
 * `resetOn` (both sockets dropped at once, as when the server's host goes away), and passes
 * every other byte through.
 */
async function resettingProxy(serverUrl: string, resetOn: string) {
  const target = new URL(serverUrl);
  let resets = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    client.on('error', () => {});
    upstream.on('error', () => {});
    upstream.on('data', (chunk) => client.write(chunk));
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk) => {
      if (resets === 0 && chunk.includes(resetOn)) {
        resets++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(serverUrl);
  proxied.port = String((server.address() as net.AddressInfo).port);
  return { url: proxied.toString(), resets: () => resets, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('postgres.js on a connection lost while it starts', () => {
  it('rejects the waiting query with the socket error and leaves no unhandled rejection from its array-type lookup; the next query answers', async () => {
    // Every new connection first asks pg_type for the array types (fetch_types); this one dies then.
    const proxy = await resettingProxy(url, 'typarray');
    const fresh = postgres(proxy.url, { max: 1, onnotice: () => {} });
    try {
      await expect(fresh`select 1 as one`).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(proxy.resets()).toBe(1);
      expect(await answersWithin(5_000, () => fresh`select 1 as one`)).toEqual([{ one: 1 }]);
    } finally {
      await fresh.end({ timeout: 1 });
      await proxy.close();
    }
  });
});

describe('postgres.js on a connection reset during a transaction', () => {
  it('rejects the transaction and the rollback it sends on the dying connection, so every later query on that connection answers', async () => {
    // A reset reaches the client as an error before the close; the transaction's rollback goes out in between.
    const proxy = await resettingProxy(url, 'reset-this-statement');
    // One connection, so the queries after the reset run on the very connection that was reset.
    const single = postgres(proxy.url, { max: 1, onnotice: () => {} });
    try {
      const transaction = single.begin(async (tx) => {
        await tx`select 1`;
        await tx`select 'reset-this-statement'`;
      });
      const failure = await transaction.then(() => new Error('the transaction committed'), (error: unknown) => error);
      expect(isDatabaseUnavailable(failure), String(failure)).toBe(true);
      expect(proxy.resets()).toBe(1);

      for (const n of [1, 2, 3]) expect(await answersWithin(5_000, () => single`select ${n}::int as n`)).toEqual([{ n }]);
      expect(await answersWithin(5_000, () => single.begin((tx) => tx`select 4 as n`))).toEqual([{ n: 4 }]);
    } finally {
      await single.end({ timeout: 1 });
      await proxy.close();
    }
  });
});
