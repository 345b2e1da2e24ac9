/**
 * `npm run bench:pipeline`: the same five-group fan-out with a row-writing handler on our
 * PostgreSQL log, our NATS log (R1 and R3), graphile-worker and BullMQ, each at its best
 * documented setup (see each bench/peer-*.ts). Per system and run: deliveries/s with events
 * appended in batches as fast as they are taken, and append→handled p50/p99 at a fixed
 * 1,000 events/s from a producer process. Every run gets a fresh database (and fresh NATS
 * servers or Redis keys) and is checked row by row: a system that lost or repeated a delivery
 * fails the benchmark. Prints one table of medians with the load average and writes JSON to
 * bench/results/.
 *
 * BENCH_EVENTS (20,000) events per throughput run; BENCH_REPEATS (3); BENCH_LATENCY_SECONDS
 * (10); BENCH_SYSTEMS: a comma-separated subset of the ids below; BENCH_ONLY=throughput or
 * latency; BENCH_PEER_WORKERS: the peers' worker processes (default one per core);
 * BENCH_BULLMQ_CONCURRENCY (50); BENCH_REDIS_URL (redis://127.0.0.1:6379).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { median, stopChildrenOnExit } from './bench-processes';
import { openBenchDatabases } from './bench-databases';
import { APPEND_BATCH, checkEffects, GROUPS, type Latency, latencyFromEffects } from './fan-out';
import { exited, type FanOutSystem, forkBenchChild } from './fan-out-system';
import { bullmqSystem } from './peer-bullmq';
import { conveyorSystem } from './peer-conveyor';
import { graphileWorkerSystem } from './peer-graphile-worker';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const WARM_UP_EVENTS = APPEND_BATCH;
const LATENCY_RATE = 1_000;
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const ONLY = process.env.BENCH_ONLY;
const TARGETS = { deliveriesPerSecond: 20_000, overFastestPeer: 2, p99Ms: 30 };

const ours: FanOutSystem[] = [
  conveyorSystem('postgres', 'Conveyor, PostgreSQL log', { kind: 'postgres' }, 'batch'),
  conveyorSystem('postgres-per-event', 'Conveyor, PostgreSQL log, handler per event', { kind: 'postgres' }, 'per-event'),
  conveyorSystem('nats-r1', 'Conveyor, NATS log R1', { kind: 'nats', replicas: 1 }, 'batch'),
  conveyorSystem('nats-r3', 'Conveyor, NATS log R3', { kind: 'nats', replicas: 3 }, 'batch'),
];
const peers: FanOutSystem[] = [graphileWorkerSystem, bullmqSystem];
/** Our logs held to the targets: the product's handlers for bulk work use `handleBatch`. */
const heldToTargets = new Set(['postgres', 'nats-r1', 'nats-r3']);

const chosen = process.env.BENCH_SYSTEMS?.split(',').map((id) => id.trim()).filter(Boolean);
const everySystem = [...ours, ...peers];
const unknown = chosen?.filter((id) => !everySystem.some((system) => system.id === id)) ?? [];
if (unknown.length > 0) throw new Error(`BENCH_SYSTEMS names unknown systems: ${unknown.join(', ')} (known: ${everySystem.map((system) => system.id).join(', ')})`);
const systems = chosen ? everySystem.filter((system) => chosen.includes(system.id)) : everySystem;

const load = () => loadavg().map((value) => Number(value.toFixed(2)));

interface SystemResult {
  throughput: { deliveriesPerSecond: number; loadAverage: number[] }[];
  latency: (Latency & { loadAverage: number[] })[];
}

const results = new Map<string, SystemResult>(systems.map((system) => [system.id, { throughput: [], latency: [] }]));
const loadAtStart = load();
const databases = await openBenchDatabases();
// An interrupt still stops an embedded PostgreSQL, which would otherwise hold its directory for the next run.
stopChildrenOnExit([], () => databases.close());
try {
  console.log(
    `Pipeline benchmark: ${GROUPS.length} groups, row-writing handlers; ${EVENTS.toLocaleString('en')} events per throughput run, ` +
      `${LATENCY_RATE.toLocaleString('en')} events/s for ${LATENCY_SECONDS} s per latency run; ${REPEATS} runs of each, the systems taking turns; load average ${loadAtStart.join(', ')}`,
  );
  for (const system of systems) console.log(`  ${system.name}: ${system.setup}`);
  // Taking turns, so a machine whose load drifts during the benchmark weighs on every system alike.
  for (let run = 1; run <= REPEATS; run++) {
    for (const system of ONLY === 'latency' ? [] : systems) {
      const rate = await throughputRun(system);
      results.get(system.id)!.throughput.push({ deliveriesPerSecond: rate, loadAverage: load() });
      console.log(`  ${system.name} throughput run ${run}/${REPEATS}: ${Math.round(rate).toLocaleString('en')} deliveries/s (load ${load().join(', ')})`);
    }
    for (const system of ONLY === 'throughput' ? [] : systems) {
      const latency = await latencyRun(system);
      results.get(system.id)!.latency.push({ ...latency, loadAverage: load() });
      console.log(`  ${system.name} latency run ${run}/${REPEATS}: p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms (load ${load().join(', ')})`);
    }
  }
  report();
} finally {
  await databases.close();
}

/**
 * Deliveries/s from the first timed append to the last row. One batch first, handled before the
 * clock starts, warms every system up alike (JIT, connections; on NATS, the consumers).
 */
async function throughputRun(system: FanOutSystem): Promise<number> {
  const database = await databases.fresh();
  try {
    const running = await system.start(database);
    let elapsedMs: number;
    try {
      await running.append(0, WARM_UP_EVENTS);
      await running.untilHandled(WARM_UP_EVENTS, 'warm-up');
      const started = performance.now();
      for (let sent = 0; sent < EVENTS; sent += APPEND_BATCH) await running.append(WARM_UP_EVENTS + sent, Math.min(APPEND_BATCH, EVENTS - sent));
      await running.untilHandled(WARM_UP_EVENTS + EVENTS, 'throughput');
      elapsedMs = performance.now() - started;
    } finally {
      await running.stop();
    }
    await checkEffects(database.url, WARM_UP_EVENTS + EVENTS, system.name);
    return (EVENTS * GROUPS.length) / (elapsedMs / 1_000);
  } finally {
    await database.drop();
  }
}

/** Append→handled at a fixed rate from a producer process; the first second (warm-up) is left out. */
async function latencyRun(system: FanOutSystem): Promise<Latency> {
  const database = await databases.fresh();
  const total = LATENCY_RATE * LATENCY_SECONDS;
  try {
    const running = await system.start(database);
    try {
      await exited(forkBenchChild(running.producer.role, { ...running.producer.settings, rate: LATENCY_RATE, total }), `${system.name}'s producer`);
      await running.untilHandled(total, 'latency run, draining');
    } finally {
      await running.stop();
    }
    await checkEffects(database.url, total, system.name);
    return await latencyFromEffects(database.url, LATENCY_RATE);
  } finally {
    await database.drop();
  }
}

function report() {
  const medianRate = (id: string) => median(results.get(id)!.throughput.map((run) => run.deliveriesPerSecond));
  const peerRates = peers.filter((peer) => (results.get(peer.id)?.throughput.length ?? 0) > 0).map((peer) => medianRate(peer.id));
  const fastestPeer = peerRates.length > 0 ? Math.max(...peerRates) : Number.NaN;
  const rate = (value: number) => (Number.isFinite(value) ? `${Math.round(value).toLocaleString('en')}/s` : '—');
  const ms = (values: number[]) => (values.length > 0 ? `${median(values)} ms` : '—');
  const table: Record<string, Record<string, string>> = {};
  for (const system of systems) {
    const { throughput, latency } = results.get(system.id)!;
    const deliveries = throughput.length > 0 ? medianRate(system.id) : Number.NaN;
    table[system.name] = {
      'deliveries/s': rate(deliveries),
      'each run': throughput.map((run) => Math.round(run.deliveriesPerSecond).toLocaleString('en')).join(' · ') || '—',
      '× fastest peer': Number.isFinite(fastestPeer) && Number.isFinite(deliveries) ? `${(deliveries / fastestPeer).toFixed(1)}×` : '—',
      [`p50 @${LATENCY_RATE}/s`]: ms(latency.map((run) => run.p50)),
      [`p99 @${LATENCY_RATE}/s`]: ms(latency.map((run) => run.p99)),
      'max': ms(latency.map((run) => run.max)),
    };
  }
  console.table(table);
  const loadAtEnd = load();
  console.log(`medians of ${REPEATS} runs; load average (1, 5, 15 min) at start ${loadAtStart.join(', ')}, at end ${loadAtEnd.join(', ')} on ${availableParallelism()} cores`);
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  for (const system of systems.filter((candidate) => heldToTargets.has(candidate.id))) {
    const { throughput, latency } = results.get(system.id)!;
    const checks: string[] = [];
    if (throughput.length > 0) {
      checks.push(`≥ ${TARGETS.deliveriesPerSecond.toLocaleString('en')} deliveries/s ${verdict(medianRate(system.id) >= TARGETS.deliveriesPerSecond)}`);
      if (Number.isFinite(fastestPeer)) checks.push(`≥ ${TARGETS.overFastestPeer}× the fastest peer ${verdict(medianRate(system.id) >= TARGETS.overFastestPeer * fastestPeer)}`);
    }
    if (latency.length > 0) checks.push(`p99 ≤ ${TARGETS.p99Ms} ms ${verdict(median(latency.map((run) => run.p99)) <= TARGETS.p99Ms)}`);
    console.log(`targets, ${system.name}: ${checks.join('; ')}`);
  }

  const at = new Date().toISOString();
  const dir = path.resolve('bench/results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `pipeline-${at.replace(/[:.]/g, '-')}.json`);
  const record = {
    at,
    groups: GROUPS.length,
    events: EVENTS,
    repeats: REPEATS,
    latency: { rate: LATENCY_RATE, seconds: LATENCY_SECONDS },
    targets: TARGETS,
    // The machine is shared: a load average far above the core count makes every figure noisy.
    loadAverage: { atStart: loadAtStart, atEnd: loadAtEnd, cores: availableParallelism() },
    systems: systems.map((system) => ({ id: system.id, name: system.name, setup: system.setup, ...results.get(system.id)! })),
  };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`written ${path.relative(process.cwd(), file)}`);
}
