/**
 * npm run bench:payment [-- --rates 2000 --duration 5 --runs 5 --designs after,before] [--otlp] [--worker-sessions background|foreground]
 *
 * Payment notification latency at fixed request rates, over HTTP, against the documented
 * processes as a user runs them: `npm run order-api` (the web tier under test) and
 * `npm run worker` (relay and all seven order consumers), against the "before" design: one
 * handler that, after the same transaction, calls points, coupons, SMS and WMS inline with
 * the story's latencies (50, 60, 100, 500 ms).
 *
 * The worker and a `third-parties` child (the simulators and the slow services of the
 * "before" design), with their database sessions, run on the CPU the web tier leaves idle, as
 * on machines of their own (background-tier.ts; --worker-sessions foreground leaves the
 * worker's database sessions at the web tier's priority, as on one shared database server);
 * a `generator` child fires signed
 * notifications open-loop, so a slow server cannot slow the offered rate down. Each rate runs
 * --runs times (2 s unrecorded first each time); the report gives every run's figures with the
 * load average, the CPU stolen by the hypervisor, the order API's CPU and the web tier's time
 * waiting runnable for a CPU during the run, and the median per rate. Uses DATABASE_URL's server, else an embedded one under
 * .data/bench-postgres, in a throw-away database. --otlp turns tracing on in the order API
 * and the worker (OTEL_EXPORTER_OTLP_ENDPOINT) with a local stand-in collector that receives
 * every span, to compare the payment path with tracing on and off.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { provisionAppRole } from '@/db/app-role';
import { createDatabase, type Database } from '@/db/client';
import { freePort, startEmbeddedPostgres } from '@/db/embedded';
import { migrateDatabase } from '@/db/migrate';
import { answerPaymentNotification } from '@/server/http/payment-notifications';
import { serveHttp } from '@/server/http/serve-http';
import { createSimulators, simulatorDatabase } from '@/server/integrations/simulators';
import { paymentWebhookSecrets, signedHeaders, webhookHeaders } from '@/server/integrations/webhook-signature';
import { withProgress } from '@/server/cli/print-progress';
import { seedCatalog } from '@/server/orders/seed-catalog';
import { backgroundTier } from './background-tier';
import {
  backgroundOtherTiersSessions,
  cpuSecondsOf,
  machineCpuTicks,
  median,
  percentile,
  processTree,
  schedulingBetween,
  schedulingOf,
  seedPendingOrders,
  startCommand,
  stopChildrenOnExit,
  totalLag,
  waitForConsumers,
  type Target,
} from './bench-processes';
import { startAtFixedRate } from './fixed-rate';
import { keepAliveClient } from './keep-alive-client';
import { startOtlpSink } from './otlp-sink';

interface Job {
  url: string;
  rate: number;
  durationSeconds: number;
  targets: Target[];
}

interface JobResult {
  sent: number;
  ok: number;
  errors: Record<string, number>;
  latenciesMs: number[];
  seconds: number;
}

type Role = 'generator' | 'third-parties';

/**
 * The "before" design holds a request for about 0.7 s, so at 2,000 req/s some 1,400 connections
 * open within its first second, to it and from it to the slow services: above Node's default
 * accept queue of 511 the kernel resets them and the run measured the queue, not the design.
 */
const INLINE_BACKLOG = 4_096;
const role = process.argv[2] as Role | undefined;

/** Children tell the parent they are ready (with a URL when they serve one) over IPC. */
function ready(message: Record<string, unknown> = {}) {
  process.send!({ ready: true, ...message });
}

// ---------------------------------------------------------------------------------------
// generator: fires signed notifications open-loop and times each answer.
// ---------------------------------------------------------------------------------------

async function runJob(job: Job): Promise<JobResult> {
  const secrets = paymentWebhookSecrets();
  const url = new URL(job.url);
  const client = keepAliveClient(url.origin, { timeoutMs: 30_000 });
  const total = Math.min(job.targets.length, Math.round(job.rate * job.durationSeconds));
  // Signed and encoded before the clock starts: the generator stands in for the provider's
  // machines, and the CPU it spends during the run is taken from the server under test.
  const requests = job.targets.slice(0, total).map((target) => {
    const body = JSON.stringify({ type: 'payment.succeeded', paymentId: `pay_${target.orderId}`, orderId: target.orderId, amountCents: target.amountCents, paidAt: new Date().toISOString() });
    return client.prepare(url.pathname, signedHeaders(secrets, body), body);
  });
  const latenciesMs: number[] = [];
  const errors: Record<string, number> = {};
  let ok = 0;
  const started = performance.now();

  const fire = async (request: Buffer) => {
    const sentAt = performance.now();
    try {
      const status = await client.send(request);
      latenciesMs.push(performance.now() - sentAt);
      if (status === 200) ok++;
      else errors[`http ${status}`] = (errors[`http ${status}`] ?? 0) + 1;
    } catch (error) {
      const kind = error instanceof Error ? error.name : 'error';
      errors[kind] = (errors[kind] ?? 0) + 1;
    }
  };

  await startAtFixedRate(job.rate, total, (index) => fire(requests[index]!));
  return { sent: total, ok, errors, latenciesMs, seconds: (performance.now() - started) / 1_000 };
}

// ---------------------------------------------------------------------------------------
// third-parties: the simulators, and the story's slow downstream services.
// ---------------------------------------------------------------------------------------

async function serveThirdParties(databaseUrl: string, orderApiUrl: string) {
  const simulators = createSimulators({ db: simulatorDatabase(databaseUrl), wmsDispatchDelayMs: 1_000, merchantOrigins: () => [orderApiUrl] });
  const delays: Record<string, number> = { '/slow/points': 50, '/slow/coupons': 60, '/slow/sms': 100, '/slow/wms': 500 };
  const slow = async (request: Request) => {
    await new Promise((resolve) => setTimeout(resolve, delays[new URL(request.url).pathname] ?? 0));
    return Response.json({ ok: true });
  };
  const server = await serveHttp({ prefixes: { '/api/sim': simulators.handler, '/slow': slow }, backlog: INLINE_BACKLOG });
  simulators.start(100);
  ready({ url: server.url });
}

// ---------------------------------------------------------------------------------------
// this process: the database, the processes under test, seeding, runs, report.
// ---------------------------------------------------------------------------------------

/** Seconds each run goes at its rate before it is measured (see `measure`). */
const WARM_UP_SECONDS = 2;

/**
 * The "before" design: the same transaction, then every downstream system called inline, in
 * turn. It is not a product process, so it is served here, on the same HTTP server code.
 */
async function serveInlineDesign(db: Database, thirdPartiesUrl: string) {
  return serveHttp({
    backlog: INLINE_BACKLOG,
    routes: [
      {
        method: 'POST',
        path: '/bench/notify-inline',
        async handle(request) {
          const answer = await answerPaymentNotification(db, { body: await request.text(), headers: webhookHeaders(request.header) });
          if (answer.status !== 200) return answer;
          for (const system of ['points', 'coupons', 'sms', 'wms']) {
            const response = await fetch(`${thirdPartiesUrl}/slow/${system}`, { method: 'POST', body: '{}' });
            await response.arrayBuffer();
          }
          return answer;
        },
      },
    ],
  });
}

function startChild(childRole: Role, args: string[] = []): Promise<{ child: ChildProcess; url?: string }> {
  // A session of its own (detached), so that, with autogroup scheduling, it does not share the web tier's CPU share.
  const child = fork(fileURLToPath(import.meta.url), [childRole, ...args], { execArgv: process.execArgv, detached: true });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, url: (message as { url?: string }).url }));
    child.once('exit', (code) => reject(new Error(`${childRole} exited with ${code} before it was ready`)));
  });
}

function runInGenerator(generator: ChildProcess, job: Job): Promise<JobResult> {
  return new Promise((resolve) => {
    generator.once('message', (result) => resolve(result as JobResult));
    generator.send(job);
  });
}

/**
 * Checkpoints begun, WAL written, transactions committed and WAL flushes so far on the server.
 * A checkpoint in a run makes every page's first change after it write the whole page to the
 * WAL, so one shows in the tail; every commit waits for a WAL flush, shared by all sessions.
 */
async function databaseActivity(db: Database): Promise<{ checkpoints: number; walBytes: number; commits: number; walFlushes: number }> {
  const [version] = await db.execute<{ number: number }>(sql`select current_setting('server_version_num')::int as number`);
  // PostgreSQL 17 moved the checkpoint counts from pg_stat_bgwriter to pg_stat_checkpointer, 18 the WAL flushes to pg_stat_io.
  const checkpoints = version!.number >= 170_000 ? sql`(select num_timed + num_requested from pg_stat_checkpointer)` : sql`(select checkpoints_timed + checkpoints_req from pg_stat_bgwriter)`;
  const walFlushes = version!.number >= 180_000 ? sql`(select sum(fsyncs) from pg_stat_io where object = 'wal')` : sql`(select wal_sync from pg_stat_wal)`;
  const [row] = await db.execute<{ checkpoints: string; wal_bytes: string; commits: string; wal_flushes: string }>(sql`
    select ${checkpoints}::text as checkpoints, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as wal_bytes,
           (select xact_commit from pg_stat_database where datname = current_database())::text as commits,
           coalesce(${walFlushes}, 0)::text as wal_flushes`);
  return { checkpoints: Number(row!.checkpoints), walBytes: Number(row!.wal_bytes), commits: Number(row!.commits), walFlushes: Number(row!.wal_flushes) };
}

/**
 * The web tier's database sessions (the order API's, and this process's own, idle while a run is
 * measured): every session of this database named as the web tier.
 */
async function webSessionPids(db: Database): Promise<number[]> {
  const rows = await db.execute<{ pid: number }>(sql`
    select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend' and application_name = 'bench-web'`);
  return rows.map((row) => row.pid);
}

/** Cumulative bucket counts of the order API's notification latency histogram, by upper bound in seconds. */
async function notifyHistogram(orderApiUrl: string): Promise<Map<number, number>> {
  // The order API inherits METRICS_TOKEN from this process; with one set, /api/metrics needs it.
  const headers: Record<string, string> = process.env.METRICS_TOKEN ? { authorization: `Bearer ${process.env.METRICS_TOKEN}` } : {};
  const text = await (await fetch(`${orderApiUrl}/api/metrics`, { headers })).text();
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('conveyor_http_request_duration_seconds_bucket{') || !line.includes('route="/api/payments/notify"') || !line.includes('status="200"')) continue;
    const bound = /le="([^"]+)"/.exec(line)![1]!;
    buckets.set(bound === '+Inf' ? Infinity : Number(bound), Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return buckets;
}

/** A quantile of the requests between two histogram readings, interpolated within its bucket, in ms. */
function histogramQuantileMs(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((bound) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  const rank = q * total;
  for (let index = 0; index < bounds.length; index++) {
    if (counts[index]! < rank) continue;
    const lower = index === 0 ? 0 : bounds[index - 1]!;
    const below = index === 0 ? 0 : counts[index - 1]!;
    const upper = Number.isFinite(bounds[index]!) ? bounds[index]! : lower;
    return 1_000 * (lower + ((upper - lower) * (rank - below)) / Math.max(1, counts[index]! - below));
  }
  return Number.NaN;
}

interface RunReport {
  design: 'after' | 'before';
  rate: number;
  run: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  sent: number;
  errors: Record<string, number>;
  load1: number;
  stealPercent: number;
  webCpuPercent: number;
  /** The order API's own measure (request read to answer written), from its histogram. */
  serverP99: number;
  lagBefore: number;
  lagAfter: number;
  checkpoints: number;
  walMegabytes: number;
  commitsPerSecond: number;
  walFlushesPerSecond: number;
  /** The web tier (the order API's threads and its database sessions): ms per second on a CPU, and waiting runnable for one. */
  webRunMsPerSecond: number;
  webWaitMsPerSecond: number;
}

async function main() {
  const { values } = parseArgs({
    options: {
      rates: { type: 'string', default: '2000' },
      duration: { type: 'string', default: '5' },
      runs: { type: 'string', default: '5' },
      designs: { type: 'string', default: 'after,before' },
      otlp: { type: 'boolean', default: false },
      'worker-sessions': { type: 'string', default: 'background' },
    },
  });
  const rates = values.rates.split(',').map(Number);
  const designs = values.designs.split(',');
  // background: the worker tier's database sessions, like the worker, use only idle CPU (other
  // machines); foreground: they share the database's CPU with the web tier's, as on one server.
  const workerSessions = values['worker-sessions'];
  if (workerSessions !== 'background' && workerSessions !== 'foreground') {
    console.error('--worker-sessions takes background or foreground');
    process.exit(2);
  }
  const durationSeconds = Number(values.duration);
  const runs = Number(values.runs);
  if (rates.some((rate) => !Number.isInteger(rate) || rate < 1) || !(durationSeconds > 0) || !Number.isInteger(runs) || runs < 1) {
    console.error('--rates takes whole numbers of requests per second (e.g. 500,1000,2000), --duration seconds, --runs a whole number');
    process.exit(2);
  }

  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dir: path.resolve('.data/bench-postgres'), quiet: true });
  const serverUrl = process.env.DATABASE_URL ?? embedded!.adminUrl;
  const databaseName = `bench_payment_${Date.now()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${databaseName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();
  // The order API runs in production mode (DEMO=false), which refuses to start without webhook
  // secrets of its own; the children (forked or spawned) inherit these.
  process.env.PAYMENT_WEBHOOK_SECRET ??= `whsec_${randomBytes(32).toString('base64')}`;
  process.env.WMS_WEBHOOK_SECRET ??= `whsec_${randomBytes(32).toString('base64')}`;
  const db = createDatabase(databaseUrl, { max: 40, applicationName: 'bench-web' });
  const children: ChildProcess[] = [];
  const stops: (() => void)[] = [];
  const background = backgroundTier(`conveyor-bench-${process.pid}`);
  stops.push(() => background.close());
  stopChildrenOnExit(children, () => embedded?.stop() ?? Promise.resolve());

  try {
    await migrateDatabase(db);
    await seedCatalog(db);
    // The web tier: `npm run order-api` with its documented defaults, on a port of its own.
    const orderApiPort = await freePort();
    const orderApiUrl = `http://127.0.0.1:${orderApiPort}`;
    const thirdParties = await startChild('third-parties', [databaseUrl, orderApiUrl]);
    children.push(thirdParties.child);
    background.add(thirdParties.child.pid!);

    // Production mode refuses a superuser connection: the commands connect as a role owning the database.
    const appDatabaseUrl = await provisionAppRole(serverUrl, { role: 'conveyor_bench', password: randomBytes(24).toString('base64url'), database: databaseName });
    const collector = values.otlp ? await startOtlpSink() : null;
    if (collector) stops.push(() => void collector.close());
    const tracing: Record<string, string> = collector ? { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } : {};
    const common = { DATABASE_URL: appDatabaseUrl, DEMO: 'false', SIMULATORS: 'off', ...tracing };
    const orderApi = await startCommand(
      'order-api',
      { ...common, ORDER_API_PORT: String(orderApiPort), ORDER_API_HOST: '127.0.0.1', CONVEYOR_APPLICATION_NAME: 'bench-web' },
      (line) => line.startsWith('{"orderApi"'),
    );
    children.push(orderApi);
    const worker = await startCommand(
      'worker',
      {
        ...common,
        ORDER_API_URL: orderApiUrl,
        PAYMENT_PROVIDER_URL: `${thirdParties.url}/api/sim/payment`,
        WMS_URL: `${thirdParties.url}/api/sim/wms`,
        SMS_GATEWAY_URL: `${thirdParties.url}/api/sim/sms`,
        INTEGRATION_TIMEOUT_MS: '5000',
        CONVEYOR_APPLICATION_NAME: 'bench-worker',
      },
      (line) => line.includes('consumer group(s)'),
    );
    children.push(worker);
    for (const pid of processTree(worker.pid!)) background.add(pid);
    const inline = designs.includes('before') ? await serveInlineDesign(db, thirdParties.url!) : null;
    const generator = await startChild('generator');
    children.push(generator.child);
    const sessionsInBackground = embedded !== null && workerSessions === 'background';
    if (sessionsInBackground) stops.push(backgroundOtherTiersSessions(db, background));
    console.log(`order API (npm run order-api, pid ${orderApi.pid}) at ${orderApiUrl}; worker (npm run worker, pid ${worker.pid})`);
    console.log(`worker tier, third parties${sessionsInBackground ? ' and their database sessions' : ''} run on the CPU the web tier leaves idle: ${background.mechanism}`);
    console.log(collector ? `tracing on: the order API and the worker export spans to a stand-in OTLP collector at ${collector.url}` : 'tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)');

    const reports: RunReport[] = [];
    /**
     * One run at one rate: first `WARM_UP_SECONDS` at that rate, not recorded, then the
     * measured seconds, back to back. Without it the first second measures the start-up of
     * the measurement (the generator opening a hundred-odd connections) more than the server.
     */
    const measure = async (design: 'after' | 'before', rate: number, run: number) => {
      const targets = await seedPendingOrders(db, `${design}_${rate}_${run}`, Math.round(rate * (WARM_UP_SECONDS + durationSeconds)));
      // A short chance to catch up, not a drain: at 2,000 payments a second the consumers run behind, as they may in production.
      const lagBefore = await waitForConsumers(db, 20_000);
      const notifyUrl = design === 'after' ? `${orderApiUrl}/api/payments/notify` : `${inline!.url}/bench/notify-inline`;
      const warmUp = targets.splice(0, Math.round(rate * WARM_UP_SECONDS));
      await runInGenerator(generator.child, { url: notifyUrl, rate, durationSeconds: WARM_UP_SECONDS, targets: warmUp });
      const load1 = loadavg()[0]!;
      const cpuBefore = machineCpuTicks();
      const webCpuBefore = cpuSecondsOf(orderApi.pid!);
      const histogramBefore = await notifyHistogram(orderApiUrl);
      const databaseBefore = await databaseActivity(db);
      const webPids = [...(design === 'after' ? processTree(orderApi.pid!) : [process.pid]), ...(await webSessionPids(db))];
      const schedulingBefore = schedulingOf(webPids);
      const result = await runInGenerator(generator.child, { url: notifyUrl, rate, durationSeconds, targets });
      const webScheduling = schedulingBetween(schedulingBefore, schedulingOf(webPids));
      const cpuAfter = machineCpuTicks();
      const histogramAfter = await notifyHistogram(orderApiUrl);
      const databaseAfter = await databaseActivity(db);
      const webCpu = cpuSecondsOf(orderApi.pid!) - webCpuBefore;
      const sorted = [...result.latenciesMs].sort((a, b) => a - b);
      const report: RunReport = {
        design,
        rate,
        run,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: percentile(sorted, 100),
        ok: result.ok,
        sent: result.sent,
        errors: result.errors,
        load1,
        stealPercent: (100 * (cpuAfter.steal - cpuBefore.steal)) / Math.max(1, cpuAfter.total - cpuBefore.total),
        webCpuPercent: design === 'after' ? (100 * webCpu) / result.seconds : Number.NaN,
        serverP99: design === 'after' ? histogramQuantileMs(histogramBefore, histogramAfter, 0.99) : Number.NaN,
        lagBefore,
        lagAfter: await totalLag(db),
        checkpoints: databaseAfter.checkpoints - databaseBefore.checkpoints,
        walMegabytes: (databaseAfter.walBytes - databaseBefore.walBytes) / 1024 / 1024,
        commitsPerSecond: (databaseAfter.commits - databaseBefore.commits) / result.seconds,
        walFlushesPerSecond: (databaseAfter.walFlushes - databaseBefore.walFlushes) / result.seconds,
        webRunMsPerSecond: webScheduling.runMs / result.seconds,
        webWaitMsPerSecond: webScheduling.waitMs / result.seconds,
      };
      reports.push(report);
      console.log(
        `${design.padEnd(6)} ${String(rate).padStart(5)} req/s run ${run}: ok ${report.ok}/${report.sent}, p50 ${report.p50.toFixed(1)} ms, p99 ${report.p99.toFixed(1)} ms, ` +
          `max ${report.max.toFixed(1)} ms, order API's own p99 ≈ ${report.serverP99.toFixed(1)} ms, errors ${JSON.stringify(report.errors)}; load ${report.load1.toFixed(2)}, steal ${report.stealPercent.toFixed(1)}%, ` +
          `order API CPU ${report.webCpuPercent.toFixed(0)}%, web tier on a CPU ${report.webRunMsPerSecond.toFixed(0)} ms/s and waiting for one ${report.webWaitMsPerSecond.toFixed(0)} ms/s, consumer lag ${report.lagBefore} before, ${report.lagAfter} after; ` +
          `database: ${report.checkpoints} checkpoint(s) began, ${report.walMegabytes.toFixed(0)} MB of WAL written, ${report.commitsPerSecond.toFixed(0)} commits/s, ${report.walFlushesPerSecond.toFixed(0)} WAL flushes/s`,
      );
    };

    for (const rate of rates) for (let run = 1; run <= runs; run++) await withProgress(`after ${rate} req/s run ${run}`, () => measure('after', rate, run));
    if (inline) {
      // The before design runs on consumers that have caught up, so its figures carry none of the after runs' backlog.
      const drainStarted = Date.now();
      const leftover = await withProgress('consumers catching up', () => waitForConsumers(db, 120_000), { report: async () => `lag ${await totalLag(db)}` });
      console.log(`consumers caught up ${((Date.now() - drainStarted) / 1_000).toFixed(1)} s after the last run${leftover ? ` (lag still ${leftover})` : ''}`);
      // The before design is seconds per request whatever the machine: one run per rate shows it.
      for (const rate of rates) await withProgress(`before ${rate} req/s`, () => measure('before', rate, 1));
    }

    console.log(`\npayment notification latency (ms) with the worker tier running; medians of ${runs} run(s) of ${durationSeconds} s, load average now ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
    console.log('rate req/s | after p50 | after p99 (each run)              | steal % | web waits for CPU ms/s | before p50 | before p99 | p99 before/after');
    for (const rate of rates) {
      const after = reports.filter((report) => report.design === 'after' && report.rate === rate);
      const before = reports.filter((report) => report.design === 'before' && report.rate === rate);
      const afterP99 = median(after.map((report) => report.p99));
      const beforeP99 = median(before.map((report) => report.p99));
      console.log(
        `${String(rate).padStart(10)} | ${median(after.map((report) => report.p50)).toFixed(1).padStart(9)} | ${afterP99.toFixed(1).padStart(9)} (${after.map((report) => report.p99.toFixed(1)).join(' / ')})`.padEnd(58) +
          ` | ${median(after.map((report) => report.stealPercent)).toFixed(1).padStart(7)} | ${median(after.map((report) => report.webWaitMsPerSecond)).toFixed(0).padStart(22)} | ${median(before.map((report) => report.p50)).toFixed(1).padStart(10)} | ${beforeP99.toFixed(1).padStart(10)} | ${(beforeP99 / afterP99).toFixed(1).padStart(6)}×`,
      );
    }
    await inline?.close();
    if (collector) {
      const { requests, bytes } = collector.received();
      console.log(`the stand-in collector received ${requests} OTLP trace exports (${(bytes / 1024 / 1024).toFixed(1)} MiB) so far`);
    }
  } finally {
    for (const stop of stops.reverse()) stop();
    // Children first, so none of them sees its connections cut by the database drop.
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill('SIGTERM'))))));
    // Requests the generator gave up on may still be running here; they end with the process
    // (main's caller exits), not against a closed pool. The drop below cuts their connections.
    await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
    await admin.end();
    await embedded?.stop();
  }
}

// Detached children outlive a parent that crashed unless they leave with it.
if (role) process.on('disconnect', () => process.exit(1));

if (role === 'generator') {
  process.on('message', (job: Job) => void runJob(job).then((result) => process.send!(result)));
  ready();
} else if (role === 'third-parties') {
  await serveThirdParties(process.argv[3]!, process.argv[4]!);
} else {
  await main();
  process.exit(0);
}
