/**
 * npm run bench:payment [-- --rates 500,1000,2000 --duration 5]
 *
 * Payment notification latency at fixed request rates, over HTTP, with the pipeline and all
 * seven order consumers running, against the "before" design: one handler that, after the
 * same transaction, calls points, coupons, SMS and WMS inline with the story's latencies
 * (50, 60, 100, 500 ms).
 *
 * Processes, as deployed: this one serves the web endpoints (payment notify, WMS callback);
 * a `worker` child runs the pipeline (relay + consumers) and a `third-parties` child serves
 * the simulators and the slow services of the "before" design, both (with their database
 * sessions) on the CPU the web tier leaves idle, as on machines of their own
 * (background-tier.ts); a `generator` child fires signed notifications open-loop, so a slow
 * server cannot slow the offered rate down. Uses DATABASE_URL's server, else an embedded
 * one under .data/bench-postgres, in a throw-away database.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { createDatabase, type Database } from '@/db/client';
import { startEmbeddedPostgres } from '@/db/embedded';
import { migrateDatabase } from '@/db/migrate';
import { createOrderConsumers } from '@/server/consumers';
import type { IntegrationName } from '@/server/integrations/integration-client';
import { createPaymentClient } from '@/server/integrations/payment-client';
import { routeByPrefix, serveRequestHandler } from '@/server/integrations/serve-simulators';
import { createSimulators, simulatorDatabase } from '@/server/integrations/simulators';
import { createSmsClient } from '@/server/integrations/sms-client';
import { paymentWebhookSecret, signedHeaders } from '@/server/integrations/webhook-signature';
import { createWmsClient } from '@/server/integrations/wms-client';
import { handlePaymentNotification, paymentNotificationRoute } from '@/server/orders/handle-payment-notification';
import { handleWmsCallback } from '@/server/orders/handle-wms-callback';
import { demoCatalog, seedCatalog } from '@/server/orders/seed-catalog';
import { pipelineOpsHooks } from '@/server/ops/pipeline-hooks';
import { getLag, startPipeline } from '@/server/pipeline';
import { backgroundTier, type BackgroundTier } from './background-tier';
import { startAtFixedRate } from './fixed-rate';
import { keepAliveClient } from './keep-alive-client';

interface Target {
  orderId: string;
  amountCents: number;
}

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

type Role = 'generator' | 'worker' | 'third-parties';
const role = process.argv[2] as Role | undefined;

/** Children tell the parent they are ready (with a URL when they serve one) over IPC. */
function ready(message: Record<string, unknown> = {}) {
  process.send!({ ready: true, ...message });
}

// ---------------------------------------------------------------------------------------
// generator: fires signed notifications open-loop and times each answer.
// ---------------------------------------------------------------------------------------

async function runJob(job: Job): Promise<JobResult> {
  const secret = paymentWebhookSecret();
  const url = new URL(job.url);
  const client = keepAliveClient(url.origin, { timeoutMs: 30_000 });
  const total = Math.min(job.targets.length, Math.round(job.rate * job.durationSeconds));
  // Signed and encoded before the clock starts: the generator stands in for the provider's
  // machines, and the CPU it spends during the run is taken from the server under test.
  const requests = job.targets.slice(0, total).map((target) => {
    const body = JSON.stringify({ type: 'payment.succeeded', paymentId: `pay_${target.orderId}`, orderId: target.orderId, amountCents: target.amountCents, paidAt: new Date().toISOString() });
    return client.prepare(url.pathname, signedHeaders(secret, body), body);
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

async function serveThirdParties(databaseUrl: string) {
  const simulators = createSimulators({ db: simulatorDatabase(databaseUrl), wmsDispatchDelayMs: 1_000 });
  const delays: Record<string, number> = { '/slow/points': 50, '/slow/coupons': 60, '/slow/sms': 100, '/slow/wms': 500 };
  const slow = async (request: Request) => {
    await new Promise((resolve) => setTimeout(resolve, delays[new URL(request.url).pathname] ?? 0));
    return Response.json({ ok: true });
  };
  const server = await serveRequestHandler(routeByPrefix({ '/api/sim': simulators.handler, '/slow': slow }));
  simulators.start(100);
  ready({ url: server.url });
}

// ---------------------------------------------------------------------------------------
// worker: the pipeline with every order consumer, talking to the third parties.
// ---------------------------------------------------------------------------------------

async function runWorker(databaseUrl: string, thirdPartiesUrl: string, webUrl: string) {
  const db = createDatabase(databaseUrl, { max: 16, applicationName: 'bench-worker' });
  const endpoint = (name: IntegrationName) => ({ name, baseUrl: `${thirdPartiesUrl}/api/sim/${name}`, timeoutMs: 5_000 });
  await startPipeline({
    db,
    hooks: pipelineOpsHooks,
    consumers: createOrderConsumers({
      payment: createPaymentClient(endpoint('payment')),
      wms: createWmsClient(endpoint('wms')),
      sms: createSmsClient(endpoint('sms')),
      callbackBaseUrl: () => webUrl,
    }),
  });
  ready();
}

// ---------------------------------------------------------------------------------------
// web (this process): notify endpoints, seeding, phases, report.
// ---------------------------------------------------------------------------------------

/** Seconds each phase runs at its rate before it is measured (see `phase`). */
const WARM_UP_SECONDS = 2;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The "before" design: the same transaction, then every downstream system called inline, in turn. */
function inlineNotificationHandler(db: Database, thirdPartiesUrl: string) {
  return async (request: Request): Promise<Response> => {
    const answer = await handlePaymentNotification(request, db);
    if (answer.status !== 200) return answer;
    for (const system of ['points', 'coupons', 'sms', 'wms']) {
      const response = await fetch(`${thirdPartiesUrl}/slow/${system}`, { method: 'POST', body: '{}' });
      await response.arrayBuffer();
    }
    return answer;
  };
}

/** Unpaid orders written in bulk (stock frozen to match), so the measured phase only pays. */
async function seedPendingOrders(db: Database, phase: string, count: number): Promise<Target[]> {
  const skus = demoCatalog.map(([sku, , priceCents]) => ({ sku, priceCents }));
  const rows = await db.execute<{ id: string; total_cents: number }>(sql`
    with catalog as (select * from jsonb_to_recordset(${JSON.stringify(skus)}::jsonb) as c(sku text, "priceCents" int)),
    numbered as (select row_number() over () - 1 as n, sku, "priceCents" from catalog),
    wanted as (select g, (select count(*) from catalog) as skus from generate_series(0, ${count - 1}) g),
    planned as (
      select ${`bench_${phase}_`} || w.g as id, 'bench-user-' || (w.g % 20000) as user_id, n.sku, n."priceCents" as price
      from wanted w join numbered n on n.n = w.g % w.skus
    ),
    inserted as (
      insert into orders (id, user_id, contact_phone, status, stock_state, total_cents, payment_deadline)
      select id, user_id, '+15550000000', 'PENDING_PAYMENT', 'FROZEN', price, now() + interval '2 hours' from planned
      returning id, total_cents
    ),
    items as (insert into order_items (order_id, sku, quantity, unit_price_cents) select id, sku, 1, price from planned),
    frozen as (
      update skus set available = skus.available - f.units
      from (select sku, count(*)::int as units from planned group by sku) f where skus.sku = f.sku
    )
    select id, total_cents from inserted`);
  // Statistics as a live table has them (autovacuum would take a while to notice a bulk
  // insert): without them the planner takes a table of thousands of orders for a tiny one.
  await db.execute(sql`analyze orders, order_items`);
  return rows.map((row) => ({ orderId: row.id, amountCents: row.total_cents }));
}

/**
 * On one machine the worker tier's share of the database is the CPU of its sessions, so
 * they join the background tier too: every session of this database but the web tier's.
 * Only for the embedded server, whose process ids are this machine's.
 */
function backgroundOtherTiersSessions(db: Database, tier: BackgroundTier): () => void {
  const added = new Set<number>();
  const timer = setInterval(() => {
    db.execute<{ pid: number }>(sql`
      select pid from pg_stat_activity
      where datname = current_database() and backend_type = 'client backend' and application_name <> 'bench-web'`)
      .then((rows) => {
        for (const { pid } of rows) {
          if (added.has(pid)) continue;
          added.add(pid);
          tier.add(pid);
        }
      })
      .catch(() => {});
  }, 250);
  return () => clearInterval(timer);
}

const totalLag = async (db: Database) => (await getLag(db)).reduce((sum, group) => sum + group.lag, 0);

async function waitForConsumers(db: Database, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const lag = await totalLag(db);
    if (lag === 0 || Date.now() - started > timeoutMs) return lag;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
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

async function main() {
  const { values } = parseArgs({
    options: { rates: { type: 'string', default: '500,1000,2000' }, duration: { type: 'string', default: '5' }, designs: { type: 'string', default: 'after,before' } },
  });
  const rates = values.rates.split(',').map(Number);
  const designs = values.designs.split(',');
  const durationSeconds = Number(values.duration);

  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dir: path.resolve('.data/bench-postgres'), quiet: true });
  const serverUrl = process.env.DATABASE_URL ?? embedded!.adminUrl;
  const databaseName = `bench_payment_${Date.now()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${databaseName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();
  const db = createDatabase(databaseUrl, { max: 40, applicationName: 'bench-web' });
  const children: ChildProcess[] = [];
  const stops: (() => void)[] = [];
  const background = backgroundTier(`conveyor-bench-${process.pid}`);
  stops.push(() => background.close());

  try {
    await migrateDatabase(db);
    await seedCatalog(db);
    const thirdParties = await startChild('third-parties', [databaseUrl]);
    children.push(thirdParties.child);
    background.add(thirdParties.child.pid!);
    const web = await serveRequestHandler(
      routeByPrefix({
        '/api/wms/callback': (request) => handleWmsCallback(request, db),
        '/bench/notify-inline': inlineNotificationHandler(db, thirdParties.url!),
      }),
      { plainRoutes: { '/api/payments/notify': paymentNotificationRoute(db) } },
    );
    const worker = await startChild('worker', [databaseUrl, thirdParties.url!, web.url]);
    children.push(worker.child);
    background.add(worker.child.pid!);
    const generator = await startChild('generator');
    children.push(generator.child);
    if (embedded) stops.push(backgroundOtherTiersSessions(db, background));
    console.log(`worker tier, third parties${embedded ? ' and their database sessions' : ''} run on the CPU the web tier leaves idle: ${background.mechanism}`);

    const results: { design: string; rate: number; result: JobResult }[] = [];
    /**
     * One rate: first `WARM_UP_SECONDS` at that rate, not recorded, then the measured
     * seconds, back to back. Without it the first second of a phase measures the start-up of
     * the measurement (the generator opening a hundred-odd connections, its own event loop
     * stalling 50-150 ms at a time) more than the server.
     */
    const phase = async (design: 'after' | 'before', rate: number, seconds: number) => {
      const targets = await seedPendingOrders(db, `${design}_${rate}`, Math.round(rate * (WARM_UP_SECONDS + seconds)));
      await waitForConsumers(db, 120_000);
      const notifyUrl = `${web.url}${design === 'after' ? '/api/payments/notify' : '/bench/notify-inline'}`;
      const warmUp = targets.splice(0, Math.round(rate * WARM_UP_SECONDS));
      await runInGenerator(generator.child, { url: notifyUrl, rate, durationSeconds: WARM_UP_SECONDS, targets: warmUp });
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      const result = await runInGenerator(generator.child, { url: notifyUrl, rate, durationSeconds: seconds, targets });
      loopDelay.disable();
      results.push({ design, rate, result });
      const sorted = [...result.latenciesMs].sort((a, b) => a - b);
      console.log(
        `${design.padEnd(6)} ${String(rate).padStart(5)} req/s: sent ${result.sent} in ${result.seconds.toFixed(1)} s, ok ${result.ok}, ` +
          `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${percentile(sorted, 100).toFixed(1)} ms, ` +
          `errors ${JSON.stringify(result.errors)}; consumer lag right after ${await totalLag(db)}; web event loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms max ${(loopDelay.max / 1e6).toFixed(0)}`,
      );
    };

    for (const rate of rates) await phase('after', rate, durationSeconds);
    const drainStarted = Date.now();
    const leftover = await waitForConsumers(db, 300_000);
    console.log(`consumers caught up ${((Date.now() - drainStarted) / 1_000).toFixed(1)} s after the last phase${leftover ? ` (lag still ${leftover})` : ''}`);
    if (designs.includes('before')) for (const rate of rates) await phase('before', rate, durationSeconds);

    console.log('\npayment notification latency (ms) with the pipeline running');
    console.log('rate req/s | after p50 | after p99 | before p50 | before p99 | p99 before/after');
    for (const rate of rates) {
      const stats = (design: string) => {
        // A design left out with --designs has no figures: NaN, printed as such.
        const sorted = [...(results.find((entry) => entry.design === design && entry.rate === rate)?.result.latenciesMs ?? [])].sort((a, b) => a - b);
        return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
      };
      const after = stats('after');
      const inline = stats('before');
      console.log(
        `${String(rate).padStart(10)} | ${after.p50.toFixed(1).padStart(9)} | ${after.p99.toFixed(1).padStart(9)} | ${inline.p50.toFixed(1).padStart(10)} | ${inline.p99.toFixed(1).padStart(10)} | ${(inline.p99 / after.p99).toFixed(1).padStart(6)}×`,
      );
    }
    await web.close();
  } finally {
    for (const stop of stops.reverse()) stop();
    // Children first, so none of them sees its connections cut by the database drop.
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill())))));
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
  await serveThirdParties(process.argv[3]!);
} else if (role === 'worker') {
  await runWorker(process.argv[3]!, process.argv[4]!, process.argv[5]!);
} else {
  await main();
  process.exit(0);
}
