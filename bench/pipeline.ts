/**
 * Pipeline benchmark: end-to-end throughput (append → handled by all 5 groups) with a
 * no-op and a row-writing handler, append-to-handled latency at a fixed 1,000 events/s,
 * and the same fan-out on graphile-worker (one job per group per event) on the same
 * server in the same run. Each run gets a fresh database cloned from a migrated template.
 * Prints a table; writes JSON to bench/results/. Usage: npm run bench:pipeline
 * (BENCH_ONLY=latency runs and prints the latency run alone, for quick comparisons).
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { Logger, makeWorkerUtils, run as runGraphileWorker, runMigrations as migrateGraphileWorker } from 'graphile-worker';
import pg from 'pg';
import postgres from 'postgres';
import { closeDatabase, createDatabase, type Database } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase } from '@/db/provide-database';
import { pipelineOpsHooks } from '@/server/ops/pipeline-hooks';
import { appendEvent, appendEvents, type BatchEventHandler, defineConsumer, type EventHandler, startPipeline } from '@/server/pipeline';
import { withProgress } from '@/server/cli/print-progress';
import { pipelineLogSetting } from '@/server/runtime/settings';
import { startAtFixedRate } from './fixed-rate';

const GROUPS = ['points', 'coupons', 'notifications', 'fulfilment', 'analytics'];
const THROUGHPUT_EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
/** The per-event row-writing handler is round-trip bound, like graphile-worker: same size runs. */
const PER_EVENT_ROW_EVENTS = Number(process.env.BENCH_PER_EVENT_EVENTS ?? 4_000);
const GRAPHILE_EVENTS = Number(process.env.BENCH_GRAPHILE_EVENTS ?? 4_000);
const APPEND_BATCH = 500;
const LATENCY_RATE = 1_000;
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const POOL_SIZE = 20;

/** noop: does nothing; row: one insert per event; row-batch: the same rows, one multi-row insert per batch. */
type HandlerKind = 'noop' | 'row' | 'row-batch';

if (process.argv[2] === 'producer') {
  await produceAtFixedRate(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
  process.exit(0);
}

const provided = await provideDatabase({ quiet: true });
const serverUrl = withDatabase(provided.adminUrl ?? provided.url, 'postgres');
const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
const template = `bench_template_${process.pid}`;
let runs = 0;

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_${process.pid}_${runs++}`;
  await admin.unsafe(`create database ${name} template ${template}`);
  return { url: withDatabase(serverUrl, name), drop: () => admin.unsafe(`drop database if exists ${name} with (force)`).then(() => {}) };
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('benchmark run timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** What a downstream system's handler does: nothing, or write one row keyed by the event. */
function pipelineHandler(kind: 'noop' | 'row', onHandled?: (createdAt: Date) => void): EventHandler {
  return async (event, { tx, group }) => {
    if (kind === 'row') await tx.execute(sql`insert into bench_effects ("group", event_id) values (${group}, ${event.id}::int8)`);
    onHandled?.(event.createdAt);
  };
}

function pipelineBatchHandler(onHandled?: (createdAt: Date) => void): BatchEventHandler {
  return async (events, { tx, group }) => {
    await tx.execute(sql`
      insert into bench_effects ("group", event_id) select ${group}, unnest(${sql.param(events.map((event) => event.id))}::int8[])`);
    for (const event of events) onHandled?.(event.createdAt);
  };
}

async function startBenchPipeline(db: Database, kind: HandlerKind, onHandled?: (createdAt: Date) => void) {
  await db.execute(sql`create table bench_effects ("group" text not null, event_id bigint not null)`);
  const consumers = GROUPS.map((group) =>
    defineConsumer({
      group,
      types: '*',
      batchSize: 500,
      handler: pipelineHandler(kind === 'noop' ? 'noop' : 'row', onHandled),
      handleBatch: kind === 'row-batch' ? pipelineBatchHandler(onHandled) : undefined,
    }),
  );
  const pipeline = await startPipeline({
    db,
    partitions: 16,
    relayBatchSize: 2_000,
    // PIPELINE_LOG=nats NATS_URL=… measures the NATS JetStream log; the default is PostgreSQL's.
    log: pipelineLogSetting(),
    consumers,
    onError: (error) => console.error('[pipeline]', error),
    hooks: pipelineOpsHooks,
  });
  await waitUntil(async () => {
    const [row] = await db.execute<{ free: number }>(sql`select count(*)::int as free from consumer_offsets where lease_owner is null`);
    return row!.free === 0;
  });
  return pipeline;
}

async function consumedDeliveries(db: Database): Promise<number> {
  const [row] = await db.execute<{ consumed: number }>(sql`select coalesce(sum(committed_offset), 0)::int as consumed from consumer_offsets`);
  return row!.consumed;
}

async function pipelineDrained(db: Database, events: number): Promise<boolean> {
  return (await consumedDeliveries(db)) >= events * GROUPS.length;
}

/** Waits for every group to consume `events`, saying every few seconds how far they are. */
function untilDrained(db: Database, events: number, label: string) {
  return withProgress(label, () => waitUntil(() => pipelineDrained(db, events)), {
    report: async () => `${(await consumedDeliveries(db)).toLocaleString()} of ${(events * GROUPS.length).toLocaleString()} deliveries`,
  });
}

async function pipelineThroughput(kind: HandlerKind, events: number): Promise<number> {
  const database = await freshDatabase();
  const db = createDatabase(database.url, { max: POOL_SIZE, applicationName: 'bench' });
  try {
    const pipeline = await startBenchPipeline(db, kind);
    const started = performance.now();
    for (let sent = 0; sent < events; sent += APPEND_BATCH) {
      await db.transaction((tx) =>
        appendEvents(
          tx,
          Array.from({ length: APPEND_BATCH }, (_, n) => ({ topic: 'orders', key: `order-${(sent + n) % 5_000}`, type: 'OrderPaid', payload: { n: sent + n } })),
        ),
      );
    }
    await untilDrained(db, events, `throughput (${kind} handlers)`);
    const seconds = (performance.now() - started) / 1000;
    await pipeline.stop();
    return (events * GROUPS.length) / seconds;
  } finally {
    await closeDatabase(db);
    await database.drop();
  }
}

/** The producer side of the latency run: one event per transaction on a fixed schedule. */
async function produceAtFixedRate(url: string, rate: number, total: number): Promise<void> {
  const producer = createDatabase(url, { max: POOL_SIZE, applicationName: 'bench-producer' });
  await startAtFixedRate(rate, total, (n) => producer.transaction((tx) => appendEvent(tx, { topic: 'orders', key: `order-${n}`, type: 'OrderPaid', payload: { n } })));
  await closeDatabase(producer);
}

/**
 * Latency is handler time minus the event's commit-side creation time. The producer runs in
 * a process of its own, as the order API does: in this one it would take the event loop
 * the pipeline is measured on.
 */
async function pipelineLatency(): Promise<{ p50: number; p99: number; max: number; deliveries: number }> {
  const database = await freshDatabase();
  const db = createDatabase(database.url, { max: POOL_SIZE, applicationName: 'bench' });
  const latencies: number[] = [];
  const total = LATENCY_RATE * LATENCY_SECONDS;
  const warmUp = LATENCY_RATE; // the first second: JIT and connection warm-up
  try {
    const pipeline = await startBenchPipeline(db, 'row-batch', (createdAt) => latencies.push(Date.now() - createdAt.getTime()));
    const producer = fork(fileURLToPath(import.meta.url), ['producer', database.url, String(LATENCY_RATE), String(total)], { execArgv: process.execArgv });
    const exitCode = await new Promise<number | null>((resolve) => producer.once('exit', resolve));
    if (exitCode !== 0) throw new Error(`the producer exited with ${exitCode}`);
    await untilDrained(db, total, 'latency run, draining');
    await pipeline.stop();
    const measured = latencies.slice(warmUp * GROUPS.length).sort((a, b) => a - b);
    return { p50: percentile(measured, 50), p99: percentile(measured, 99), max: measured[measured.length - 1]!, deliveries: measured.length };
  } finally {
    await closeDatabase(db);
    await database.drop();
  }
}

async function graphileThroughput(kind: 'noop' | 'row'): Promise<number> {
  const database = await freshDatabase();
  const logger = new Logger(() => () => {});
  const pgPool = new pg.Pool({ connectionString: database.url, max: POOL_SIZE });
  // Dropping the run's database terminates idle pool connections; that is expected here.
  pgPool.on('error', () => {});
  pgPool.on('connect', (client) => client.on('error', () => {}));
  const options = { pgPool, logger };
  try {
    await migrateGraphileWorker(options);
    const utils = await makeWorkerUtils(options);
    await utils.withPgClient((client) => client.query('create table bench_effects ("group" text not null, event_id bigint not null)'));
    const runner = await runGraphileWorker({
      ...options,
      concurrency: 10,
      noHandleSignals: true,
      taskList: {
        deliver: async (payload, helpers) => {
          const { group, eventId } = payload as { group: string; eventId: number };
          if (kind === 'row') {
            await helpers.withPgClient((client) => client.query('insert into bench_effects ("group", event_id) values ($1, $2)', [group, eventId]));
          }
        },
      },
    });
    const started = performance.now();
    for (let sent = 0; sent < GRAPHILE_EVENTS; sent += APPEND_BATCH) {
      const jobs = Array.from({ length: APPEND_BATCH }, (_, n) =>
        GROUPS.map((group) => ({ identifier: 'deliver', payload: { group, eventId: sent + n } })),
      ).flat();
      await utils.addJobs(jobs);
    }
    const jobsLeft = async () => (await utils.withPgClient((client) => client.query<{ n: number }>('select count(*)::int as n from graphile_worker.jobs'))).rows[0]!.n;
    await withProgress('  graphile-worker draining', () => waitUntil(async () => (await jobsLeft()) === 0), { report: async () => `${await jobsLeft()} jobs left` });
    const seconds = (performance.now() - started) / 1000;
    await runner.stop();
    await utils.release();
    return (GRAPHILE_EVENTS * GROUPS.length) / seconds;
  } finally {
    await pgPool.end();
    await database.drop();
  }
}

async function repeat(label: string, measure: () => Promise<number>): Promise<number[]> {
  const results: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    results.push(await measure());
    console.log(`  ${label} run ${i + 1}/${REPEATS}: ${Math.round(results[i]!).toLocaleString('en')} deliveries/s`);
  }
  return results;
}

const loadAtStart = loadavg().map((load) => Number(load.toFixed(2)));
try {
  await admin.unsafe(`drop database if exists ${template}`);
  await admin.unsafe(`create database ${template}`);
  const templateDb = createDatabase(withDatabase(serverUrl, template), { max: 2 });
  await migrateDatabase(templateDb);
  await closeDatabase(templateDb);

  console.log(`Pipeline benchmark: ${GROUPS.length} groups; events per run: ${THROUGHPUT_EVENTS.toLocaleString('en')} (pipeline no-op, batch), ` +
    `${PER_EVENT_ROW_EVENTS.toLocaleString('en')} (pipeline per-event), ${GRAPHILE_EVENTS.toLocaleString('en')} (graphile-worker); ${REPEATS} runs each, medians below`);
  if (process.env.BENCH_ONLY === 'latency') {
    const latency = await pipelineLatency();
    console.log(`latency at ${LATENCY_RATE} events/s: p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms (${latency.deliveries.toLocaleString('en')} deliveries)`);
  } else {
    await fullRun();
  }
} finally {
  await admin.unsafe(`drop database if exists ${template}`);
  await admin.end();
  await provided.stop();
}

async function fullRun() {
  const pipelineNoop = await repeat('pipeline no-op', () => pipelineThroughput('noop', THROUGHPUT_EVENTS));
  const pipelineRow = await repeat('pipeline row-writing (handler per event)', () => pipelineThroughput('row', PER_EVENT_ROW_EVENTS));
  const pipelineRowBatch = await repeat('pipeline row-writing (batch handler)', () => pipelineThroughput('row-batch', THROUGHPUT_EVENTS));
  const graphileNoop = await repeat('graphile-worker no-op', () => graphileThroughput('noop'));
  const graphileRow = await repeat('graphile-worker row-writing', () => graphileThroughput('row'));
  console.log(`  latency run: ${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s`);
  const latency = await pipelineLatency();

  const result = {
    at: new Date().toISOString(),
    groups: GROUPS.length,
    repeats: REPEATS,
    deliveriesPerSecond: {
      pipelineNoop: median(pipelineNoop),
      pipelineRow: median(pipelineRow),
      pipelineRowBatch: median(pipelineRowBatch),
      graphileNoop: median(graphileNoop),
      graphileRow: median(graphileRow),
    },
    runs: { pipelineNoop, pipelineRow, pipelineRowBatch, graphileNoop, graphileRow },
    ratioRow: median(pipelineRow) / median(graphileRow),
    ratioRowBatch: median(pipelineRowBatch) / median(graphileRow),
    ratioNoop: median(pipelineNoop) / median(graphileNoop),
    latencyMs: { rate: LATENCY_RATE, seconds: LATENCY_SECONDS, ...latency },
    targets: { rowDeliveriesPerSecond: 20_000, ratio: 2, p99Ms: 30 },
    // The machine is shared: a load average far above the core count makes every figure noisy.
    loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((load) => Number(load.toFixed(2))) },
  };
  const rate = (value: number) => `${Math.round(value).toLocaleString('en')}/s`;
  console.table({
    'no-op handler': { pipeline: rate(result.deliveriesPerSecond.pipelineNoop), 'graphile-worker': rate(result.deliveriesPerSecond.graphileNoop), ratio: `${result.ratioNoop.toFixed(1)}×` },
    'row-writing, handler per event': { pipeline: rate(result.deliveriesPerSecond.pipelineRow), 'graphile-worker': rate(result.deliveriesPerSecond.graphileRow), ratio: `${result.ratioRow.toFixed(1)}×` },
    'row-writing, batch handler': { pipeline: rate(result.deliveriesPerSecond.pipelineRowBatch), 'graphile-worker': rate(result.deliveriesPerSecond.graphileRow), ratio: `${result.ratioRowBatch.toFixed(1)}×` },
  });
  console.table({
    [`latency at ${LATENCY_RATE} events/s (row-writing batch handler, ${latency.deliveries.toLocaleString('en')} deliveries)`]: {
      p50: `${latency.p50} ms`,
      p99: `${latency.p99} ms`,
      max: `${latency.max} ms`,
    },
  });
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const best = Math.max(result.deliveriesPerSecond.pipelineRow, result.deliveriesPerSecond.pipelineRowBatch);
  console.log(`targets: ≥ 20,000 row-writing deliveries/s ${verdict(best >= 20_000)}; ` +
    `≥ 2× graphile-worker ${verdict(best / result.deliveriesPerSecond.graphileRow >= 2)}; p99 ≤ 30 ms ${verdict(latency.p99 <= 30)}`);

  const dir = path.resolve('bench/results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `pipeline-${result.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`load average (1, 5, 15 min) at start ${loadAtStart.join(', ')}, at end ${result.loadAverage.atEnd.join(', ')}`);
  console.log(`written ${path.relative(process.cwd(), file)}`);
}
