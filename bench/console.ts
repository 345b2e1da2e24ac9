/**
 * npm run bench:console [-- --runs 3 --repetitions 20 --url http://localhost:3000]
 *
 * How fast the console is on a production-sized database (`npm run seed:scale`): calls every
 * screen's tRPC queries over HTTP as the screens do (first page, a filtered page, a deep cursor
 * page, the trace of the order with the most events, the lag chart over 24 h, reports over 30
 * days, the Overview), signed in as the demo admin, and prints p50/p95 per query; then opens
 * each screen in Chromium and prints the time from navigation to its first rendered row.
 * Targets: every query p95 ≤ 100 ms, every screen's first row ≤ 1.5 s. With --runs N, each run
 * is printed and then the median of the runs per figure.
 *
 * Runs against the documented console process: `npm run console` on the seeded database
 * (DATABASE_URL, else the embedded one under .data/scale-postgres), started here on a free
 * port unless --url names a running one. Reads a few ids straight from the database (the
 * order with the longest trace, rows deep in each list) to build the inputs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { closeDatabase, createDatabase } from '@/db/client';
import { freePort } from '@/db/embedded';
import { provideDatabase } from '@/db/provide-database';
import { withProgress } from '@/server/cli/print-progress';
import { SCALE_DATA_DIR } from '@/server/cli/scale-data-dir';
import type { AppRouter } from '@/server/trpc/root';
import { consoleBuilt } from '@/server/runtime/console-process';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    repetitions: { type: 'string', default: '20' },
    'page-loads': { type: 'string', default: '5' },
    url: { type: 'string' },
  },
});
const runs = Number(values.runs);
const repetitions = Number(values.repetitions);
const pageLoads = Number(values['page-loads']);
const QUERY_TARGET_MS = 100;
const FIRST_ROW_TARGET_MS = 1_500;
const ADMIN = { email: 'admin@conveyor.demo', password: 'admin-demo-pass' };

if (!process.env.DATABASE_URL) process.env.EMBEDDED_PG_DIR ??= SCALE_DATA_DIR;
const database = await provideDatabase({ quiet: true });
const started: { console: ChildProcess | null } = { console: null };
try {
  const fixtures = await readFixtures(database.url);
  const base = values.url ?? (await startConsole());
  const cookie = await signIn(base);
  const client = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${base}/api/trpc`, transformer: superjson, headers: { cookie } })] });
  const queries = screenQueries(client, fixtures);
  const screens = screenPages(fixtures);

  const queryRuns: Map<string, { p50: number; p95: number }>[] = [];
  const screenRuns: Map<string, number>[] = [];
  for (let run = 1; run <= runs; run++) {
    console.log(`\nrun ${run}/${runs} (load average ${loadavg().map((value) => value.toFixed(2)).join(' ')})`);
    queryRuns.push(await timeQueries(queries));
    screenRuns.push(await timeScreens(base, cookie, screens));
  }
  if (runs > 1) report(queryRuns, screenRuns);
} finally {
  const child = started.console;
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
  await database.stop();
}

interface Fixtures {
  heavyOrderId: string;
  heavyOrderEvents: number;
  deepOrderId: string;
  someUserId: string;
  deepDeadLetterId: number;
  deepRetryId: number;
  deepAuditId: number;
}

/** Ids the inputs need, read once: not timed. */
async function readFixtures(url: string): Promise<Fixtures> {
  const db = createDatabase(url, { max: 1 });
  try {
    const sql = db.$client;
    const [heavy] = await sql<{ key: string; events: number }[]>`
      select key, (select count(*)::int from events where key = last.key) as events from (select key from events order by id desc limit 1) last`;
    if (!heavy) throw new Error('the database holds no events: run npm run seed:scale first');
    // Deep in each list: a page the operator reaches by paging far back (the cursor is a row of the page before).
    const [deepOrder] = await sql<{ id: string; userId: string }[]>`
      select id, user_id as "userId" from orders where created_at < now() - interval '20 days' order by created_at desc limit 1`;
    const [deep] = await sql<{ deadLetter: number; retry: number; audit: number }[]>`
      select (select id::int from dead_letters order by id offset 100 limit 1) as "deadLetter",
             (select id::int from retries order by id offset 100 limit 1) as retry,
             (select id::int from audit_log order by id offset 100 limit 1) as audit`;
    return {
      heavyOrderId: heavy.key,
      heavyOrderEvents: heavy.events,
      deepOrderId: deepOrder!.id,
      someUserId: deepOrder!.userId,
      deepDeadLetterId: deep!.deadLetter,
      deepRetryId: deep!.retry,
      deepAuditId: deep!.audit,
    };
  } finally {
    await closeDatabase(db);
  }
}

async function startConsole(): Promise<string> {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  console.log(`bench:console: starting npm run console on ${base} (it builds first when there is no build)…`);
  // A process group of its own (detached), so that stopping it stops npm's children too: killing npm alone left the console serving.
  const child = spawn('npm', ['run', 'console'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PORT: String(port) }, detached: true });
  started.console = child;
  const deadline = Date.now() + 15 * 60_000;
  return withProgress(
    'bench:console: console starting',
    async () => {
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`npm run console exited with ${child.exitCode}`);
        const healthy = await fetch(`${base}/api/health`).then((response) => response.ok, () => false);
        if (healthy) return base;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      throw new Error('the console did not answer /api/health within 15 minutes');
    },
    { report: () => (consoleBuilt() ? 'built, waiting for /api/health' : 'building (next build)') },
  );
}

async function signIn(base: string): Promise<string> {
  const response = await fetch(`${base}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify(ADMIN),
  });
  if (!response.ok) throw new Error(`signing in as ${ADMIN.email} failed: ${response.status} ${await response.text()}`);
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';', 1)[0])
    .join('; ');
}

type Client = ReturnType<typeof createTRPCClient<AppRouter>>;

/** Each screen's queries with the inputs the screen sends (limit 50, its default filters). */
function screenQueries(client: Client, f: Fixtures): [string, () => Promise<unknown>][] {
  const monthHours = 30 * 24;
  return [
    ['overview.get', () => client.overview.get.query()],
    ['orders.search first page', () => client.orders.search.query({ limit: 50 })],
    ['orders.search status=REFUND_FAILED', () => client.orders.search.query({ status: 'REFUND_FAILED', limit: 50 })],
    ['orders.search user', () => client.orders.search.query({ userId: f.someUserId, limit: 50 })],
    ['orders.search deep cursor', () => client.orders.search.query({ cursor: f.deepOrderId, limit: 50 })],
    ['orders.stuck first page', () => client.orders.stuck.query({ limit: 50 })],
    ['orders.stuck stage=refund failed', () => client.orders.stuck.query({ stage: 'refund failed', limit: 50 })],
    [`orders.get (${f.heavyOrderEvents} events)`, () => client.orders.get.query({ orderId: f.heavyOrderId })],
    [`orders.trace (${f.heavyOrderEvents} events)`, () => client.orders.trace.query({ orderId: f.heavyOrderId })],
    ['queues.overview', () => client.queues.overview.query()],
    ['queues.lagHistory 1 h', () => client.queues.lagHistory.query({ minutes: 60 })],
    ['queues.lagHistory 24 h', () => client.queues.lagHistory.query({ minutes: 24 * 60 })],
    ['queues.lagHistory 24 h one group', () => client.queues.lagHistory.query({ group: 'notifications', minutes: 24 * 60 })],
    ['deadLetters.list first page', () => client.deadLetters.list.query({ filter: { status: 'dead' }, limit: 50 })],
    ['deadLetters.list group+error', () => client.deadLetters.list.query({ filter: { status: 'dead', group: 'notifications', errorText: 'SMS' }, limit: 50 })],
    ['deadLetters.list deep cursor', () => client.deadLetters.list.query({ filter: { status: 'dead' }, cursor: f.deepDeadLetterId, limit: 50 })],
    ['failedPushes.list first page', () => client.failedPushes.list.query({ filter: {}, limit: 50 })],
    ['failedPushes.list group', () => client.failedPushes.list.query({ filter: { group: 'fulfilment' }, limit: 50 })],
    ['failedPushes.list deep cursor', () => client.failedPushes.list.query({ filter: {}, cursor: f.deepRetryId, limit: 50 })],
    ['audit.list first page', () => client.audit.list.query({ limit: 50 })],
    ['audit.list actor+action', () => client.audit.list.query({ actor: 'oncall', action: 'replay', limit: 50 })],
    ['audit.list deep cursor', () => client.audit.list.query({ cursor: f.deepAuditId, limit: 50 })],
    ['reports.sales 30 days', () => client.reports.sales.query({ hours: monthHours })],
    ['reports.throughput 1 h', () => client.reports.throughput.query({ minutes: 60 })],
    ['thirdParties.overview', () => client.thirdParties.overview.query({ windowMinutes: 5 })],
    ['alerts.list', () => client.alerts.list.query({ limit: 100 })],
    ['alerts.counts (nav badge)', () => client.alerts.counts.query()],
    ['approvals.pendingCount (nav badge)', () => client.approvals.pendingCount.query()],
  ];
}

/** Each screen and what its first rendered row is. */
function screenPages(f: Fixtures): [string, string][] {
  return [
    ['/', '[data-testid^="tile-"]'],
    ['/orders', '[data-testid="orders-table"] tbody tr'],
    ['/orders?view=stuck', '[data-testid="stuck-orders-table"] tbody tr'],
    [`/orders/${f.heavyOrderId}`, '[data-testid="order-trace"] li'],
    ['/queues', '[data-testid="queues-table"] tbody tr'],
    ['/dead-letters', '[data-testid="dead-letters-table"] tbody tr'],
    ['/failed-pushes', '[data-testid="failed-pushes-table"] tbody tr'],
    ['/audit', '[data-testid="audit-table"] tbody tr'],
    ['/reports', '[data-testid="sales-by-sku"] tbody tr'],
    ['/third-parties', '[data-testid="third-parties-table"] tbody tr'],
  ];
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function median(values: number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

function mark(value: number, target: number): string {
  return value <= target ? '' : '  ✗ over target';
}

async function timeQueries(queries: [string, () => Promise<unknown>][]) {
  const results = new Map<string, { p50: number; p95: number }>();
  console.log(`query (${repetitions} calls each, after one warm-up)`.padEnd(48) + '   p50 ms    p95 ms');
  for (const [name, call] of queries) {
    await call();
    const times: number[] = [];
    for (let index = 0; index < repetitions; index++) {
      const started = performance.now();
      await call();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const figures = { p50: quantile(times, 0.5), p95: quantile(times, 0.95) };
    results.set(name, figures);
    console.log(`${name.padEnd(48)} ${figures.p50.toFixed(1).padStart(8)}  ${figures.p95.toFixed(1).padStart(8)}${mark(figures.p95, QUERY_TARGET_MS)}`);
  }
  return results;
}

/** Median over `pageLoads` fresh navigations of the time until the screen's first row is visible. */
async function timeScreens(base: string, cookie: string, screens: [string, string][]) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-sandbox'],
  });
  const results = new Map<string, number>();
  try {
    const context = await browser.newContext({ baseURL: base });
    await context.addCookies(cookie.split('; ').map((pair) => ({ name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1), url: base })));
    const page = await context.newPage();
    console.log(`screen (median of ${pageLoads} loads)`.padEnd(48) + ' first row ms');
    for (const [path, firstRow] of screens) {
      const times: number[] = [];
      for (let index = 0; index <= pageLoads; index++) {
        await page.goto('about:blank');
        const started = performance.now();
        await page.goto(path, { waitUntil: 'commit' });
        await page.locator(firstRow).first().waitFor({ state: 'visible', timeout: 30_000 });
        // The first load warms the server's route; it is not counted.
        if (index > 0) times.push(performance.now() - started);
      }
      const value = median(times);
      results.set(path, value);
      console.log(`${(path.length > 46 ? `${path.slice(0, 43)}…` : path).padEnd(48)} ${value.toFixed(0).padStart(8)}${mark(value, FIRST_ROW_TARGET_MS)}`);
    }
  } finally {
    await browser.close();
  }
  return results;
}

function report(queryRuns: Map<string, { p50: number; p95: number }>[], screenRuns: Map<string, number>[]) {
  console.log(`\nmedians of ${queryRuns.length} runs (load average now ${loadavg().map((value) => value.toFixed(2)).join(' ')}; targets: query p95 ≤ ${QUERY_TARGET_MS} ms, first row ≤ ${FIRST_ROW_TARGET_MS} ms)`);
  console.log('query'.padEnd(48) + '   p50 ms    p95 ms');
  for (const name of queryRuns[0]!.keys()) {
    const p50 = median(queryRuns.map((run) => run.get(name)!.p50));
    const p95 = median(queryRuns.map((run) => run.get(name)!.p95));
    console.log(`${name.padEnd(48)} ${p50.toFixed(1).padStart(8)}  ${p95.toFixed(1).padStart(8)}${mark(p95, QUERY_TARGET_MS)}`);
  }
  console.log('screen'.padEnd(48) + ' first row ms');
  for (const path of screenRuns[0]!.keys()) {
    const value = median(screenRuns.map((run) => run.get(path)!));
    console.log(`${(path.length > 46 ? `${path.slice(0, 43)}…` : path).padEnd(48)} ${value.toFixed(0).padStart(8)}${mark(value, FIRST_ROW_TARGET_MS)}`);
  }
}
