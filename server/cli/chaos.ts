/**
 * npm run chaos [-- --log postgres|nats --minutes 5 --seed 42 --shoppers 6 --drain-minutes 6 --keep]
 *
 * Proof under faults. On a fresh embedded PostgreSQL in .data/chaos-<seed>, starts the order
 * API (`npm run order-api` with the simulators as its third parties) and two `npm run worker`
 * processes (without the scheduled ops jobs), drives orders (creates,
 * payments whose signed notification is duplicated 2–5× and delivered out of order, forged and
 * stale notifications, cancellations, payment timeouts, late payments, refunds) and, on a
 * schedule drawn from --seed, SIGKILLs workers (restarted after a pause) and the relay leader,
 * restarts PostgreSQL immediately (pg_ctl -m immediate), and breaks the WMS and payment
 * provider (error bursts, timeouts, slowness, lost responses). Then it stops the faults, waits
 * for lag, retries and the outbox to drain, checks the invariants, prints one summary and exits
 * 1 unless lost = duplicated = stuck = forged accepted = 0, every other invariant holds and no
 * process exited unless chaos killed or stopped it (such exits are restarted, counted and listed).
 *
 * With `--log nats` the log is a JetStream stream with three replicas on a three-node cluster
 * chaos starts itself (free ports, stores under the run's directory), the processes run with
 * PIPELINE_LOG=nats, and the schedule adds SIGKILLs of a NATS node (the stream leader half the
 * time), each restarted on its store after a pause; one node at most is down at a time, so the
 * cluster keeps its quorum and every acknowledged publish stays on two stores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { closeDatabase, createDatabase, type Database } from '@/db/client';
import { provisionAppRole } from '@/db/app-role';
import { type ControlledPostgres, startControlledPostgres } from '@/db/controlled-postgres';
import { isDatabaseUnavailable } from '@/db/database-unavailable';
import { freePort } from '@/db/embedded';
import { migrateDatabase } from '@/db/migrate';
import { createOrderConsumers } from '@/server/consumers';
import { defaultConsumerDependencies } from '@/server/consumers/dependencies';
import { createPaymentClient } from '@/server/integrations/payment-client';
import { resetSimulatorSettings, updateSimulatorSettings } from '@/server/integrations/simulator-settings';
import { generateWebhookSecret, paymentWebhookSecrets, signedHeaders } from '@/server/integrations/webhook-signature';
import { cancelOrder } from '@/server/orders/close-order';
import { checkOrderInvariants } from '@/server/orders/order-invariants';
import { SETTLING_STATUSES } from '@/server/orders/order-state-machine';
import { demoCatalog, seedCatalog } from '@/server/orders/seed-catalog';
import { skuStock } from '@/server/orders/stock';
import { issueApiToken } from '@/server/ops/api-tokens';
import { getLag } from '@/server/pipeline';
import { NatsServers } from '@/server/runtime/local-nats-servers';
import { withProgress } from './print-progress';
import { STOREFRONT_SCOPES } from '@/shared/api-token-scopes';

const { values } = parseArgs({
  options: {
    log: { type: 'string', default: 'postgres' },
    minutes: { type: 'string', default: '5' },
    seed: { type: 'string' },
    shoppers: { type: 'string', default: '6' },
    'drain-minutes': { type: 'string', default: '6' },
    keep: { type: 'boolean', default: false },
  },
});
if (values.log !== 'postgres' && values.log !== 'nats') throw new Error(`--log must be postgres or nats; got "${values.log}"`);
const onNats = values.log === 'nats';
const minutes = Number(values.minutes);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 1e6);
const runMs = minutes * 60_000;
const root = path.resolve(`.data/chaos-${onNats ? 'nats-' : ''}${seed}`);
const dataDir = path.join(root, 'pg');

/** mulberry32: the whole schedule and every random choice of the drivers come from --seed. */
function seededRandom(start: number) {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const random = seededRandom(seed);
const between = (min: number, max: number) => min + random() * (max - min);
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Unpaid orders meant to time out get a payment deadline of 2 s up to this. */
const LONGEST_SHORT_DEADLINE_MS = 8_000;
const startedAt = Date.now();
const stamp = () => `[chaos ${((Date.now() - startedAt) / 1_000).toFixed(1).padStart(6)}s]`;
const log = (line: string) => console.log(`${stamp()} ${line}`);

// PostgreSQL runs through pg_ctl (db/controlled-postgres.ts), so it can be stopped immediately and started again.
let postgresServer: ControlledPostgres | null = null;
// With --log nats: the three-node cluster carrying the stream (the processes' NATS_URL).
let natsCluster: NatsServers | null = null;
const STREAM = 'CONVEYOR_EVENTS';

// ---------- child processes: the order API and two workers, each in its own process group ----------

interface Member {
  name: string;
  script: string;
  env: Record<string, string>;
  child: ChildProcess | null;
  starts: number;
}
const members: Member[] = [];
const stopped = new Set<ChildProcess>();

const LAST_ERRORS_CHARS = 3_000;

function launch(member: Member) {
  const out = createWriteStream(path.join(root, `${member.name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), member.script], {
    env: { ...process.env, ...member.env, CONVEYOR_APPLICATION_NAME: `chaos-${member.name}` },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  // The end of its error output, printed if it dies: CI keeps this run's output, not its logs.
  let lastErrors = '';
  child.stderr!.on('data', (chunk: Buffer) => (lastErrors = (lastErrors + chunk.toString()).slice(-LAST_ERRORS_CHARS)));
  child.once('exit', (code, signal) => {
    out.write(`--- exited code ${code} signal ${signal}\n`);
    // Every exit not caused by chaos itself (its SIGKILLs and the final stop) is a defect: the run fails.
    if (!stopped.has(child) && member.child === child) {
      log(`${member.name} exited unexpectedly (code ${code}, signal ${signal}); restarting`);
      // Once its pipes are drained: 'exit' can come before the last of its output.
      child.once('close', () => console.log(`  the end of ${member.name}'s error output:\n${lastErrors.trimEnd().replace(/^/gm, '    | ')}`));
      member.child = null;
      unexpectedExits.push(`${member.name} at ${((Date.now() - startedAt) / 1_000).toFixed(0)}s (code ${code}, signal ${signal})`);
      if (!shuttingDown) setTimeout(() => launch(member), 500);
    }
  });
  member.child = child;
  member.starts++;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

async function sigkill(member: Member) {
  const child = member.child;
  if (!child) return;
  stopped.add(child);
  member.child = null;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  killGroup(child, 'SIGKILL');
  await exited;
}

async function stopAll() {
  await Promise.all(
    members.map(async (member) => {
      const child = member.child;
      if (!child) return;
      stopped.add(child);
      member.child = null;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

// ---------- counters ----------

const counts = {
  workerKills: 0,
  leaderKills: 0,
  pgRestarts: 0,
  faultBursts: 0,
  natsKills: 0,
  natsLeaderKills: 0,
  createsAsked: 0,
  paymentsAsked: 0,
  duplicateNotifications: 0,
  forgedSent: 0,
  forgedAccepted: 0,
  cancels: 0,
  refundsAsked: 0,
  latePayments: 0,
};
const unexpectedExits: string[] = [];
let shuttingDown = false;
const errors = new Map<string, number>();
const countError = (kind: string) => errors.set(kind, (errors.get(kind) ?? 0) + 1);
const forgedPaymentIds: string[] = [];

// ---------- the shoppers: order flows against the real HTTP endpoints ----------

let appUrl = '';
let db: Database;
let trafficOn = true;
/** Authorization for the storefront calls: a token chaos registers for itself once the database is migrated. */
let storefrontAuthorization = '';

async function post(pathname: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(`${appUrl}${pathname}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  return { status: response.status, json: (() => { try { return JSON.parse(text) as Record<string, unknown>; } catch { return {}; } })() };
}

async function createOrder(paymentTimeoutMs?: number) {
  counts.createsAsked++;
  const skus = [...new Set([pick(demoCatalog)[0], pick(demoCatalog)[0]])];
  const body = { userId: `chaos-${Math.floor(random() * 500)}`, contactPhone: `+1555${String(Math.floor(random() * 1e7)).padStart(7, '0')}`, items: skus.map((sku) => ({ sku, quantity: 1 + Math.floor(random() * 2) })), paymentTimeoutMs };
  const response = await post('/api/orders', JSON.stringify(body), { 'content-type': 'application/json', authorization: storefrontAuthorization });
  if (response.status !== 201) {
    countError(`create ${response.status}`);
    return null;
  }
  return { ...(response.json as { orderId: string; totalCents: number }), userId: body.userId };
}

const payment = () => createPaymentClient({ name: 'payment', baseUrl: `${appUrl}/api/sim/payment`, timeoutMs: 5_000 });

/** Pays through the provider simulator (which notifies and redelivers itself), then posts 2–5 more signed copies out of order. */
async function pay(order: { orderId: string; totalCents: number }) {
  counts.paymentsAsked++;
  let paymentId: string | null = null;
  for (let attempt = 1; attempt <= 6 && !paymentId; attempt++) {
    try {
      paymentId = (await payment().createPayment({ orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${appUrl}/api/payments/notify` }, `chaos:${order.orderId}`)).paymentId;
    } catch {
      countError('pay (retried with the same idempotency key)');
      await sleep(500 * attempt);
    }
  }
  if (!paymentId) return null;
  const body = JSON.stringify({ type: 'payment.succeeded', paymentId, orderId: order.orderId, amountCents: order.totalCents, paidAt: new Date().toISOString() });
  const copies = 2 + Math.floor(random() * 4);
  counts.duplicateNotifications += copies;
  await Promise.all(
    Array.from({ length: copies }, async () => {
      await sleep(between(0, 3_000));
      try {
        const response = await post('/api/payments/notify', body, signedHeaders(paymentWebhookSecrets(), body));
        if (response.status !== 200) countError(`duplicate notify ${response.status}`);
      } catch {
        countError('duplicate notify network');
      }
    }),
  );
  return paymentId;
}

/** A forged (wrong secret) or replayed-late (stale timestamp) notification for an unpaid order: must be refused. */
async function forge(order: { orderId: string; totalCents: number }) {
  const paymentId = `forged_${randomUUID()}`;
  forgedPaymentIds.push(paymentId);
  const body = JSON.stringify({ type: 'payment.succeeded', paymentId, orderId: order.orderId, amountCents: order.totalCents, paidAt: new Date().toISOString() });
  const headers = random() < 0.5 ? signedHeaders(generateWebhookSecret(), body) : signedHeaders(paymentWebhookSecrets(), body, { at: new Date(Date.now() - 30 * 60_000) });
  counts.forgedSent++;
  try {
    const response = await post('/api/payments/notify', body, headers);
    if (response.status < 300) counts.forgedAccepted++;
  } catch {
    countError('forged notify network');
  }
}

async function refund({ orderId, userId }: { orderId: string; userId: string }) {
  counts.refundsAsked++;
  try {
    const response = await post(`/api/orders/${orderId}/refund`, JSON.stringify({ userId, reason: 'chaos: customer asked for a refund' }), {
      'content-type': 'application/json',
      authorization: storefrontAuthorization,
    });
    if (response.status !== 202) countError(`refund ${response.status}`);
  } catch {
    countError('refund network');
  }
}

async function shopper() {
  while (trafficOn) {
    try {
      const roll = random();
      if (roll < 0.55) {
        const order = await createOrder();
        if (order && (await pay(order)) && random() < 0.3) {
          await sleep(between(0, 4_000));
          await refund(order);
        }
      } else if (roll < 0.65) {
        const order = await createOrder();
        if (order) {
          await sleep(between(0, 1_000));
          counts.cancels++;
          await cancelOrder(db, { orderId: order.orderId, reason: 'chaos: customer cancelled' }).catch((error: Error) => countError(`cancel: ${isDatabaseUnavailable(error) ? 'database unavailable' : error.name}`));
        }
      } else if (roll < 0.8) {
        // Left unpaid past a short deadline: the timeout closes it; sometimes the payment arrives late and is refunded.
        const order = await createOrder(Math.round(between(2_000, LONGEST_SHORT_DEADLINE_MS)));
        if (order && random() < 0.35) {
          await sleep(between(9_000, 15_000));
          counts.latePayments++;
          await pay(order);
        }
      } else {
        const order = await createOrder(Math.round(between(2_000, LONGEST_SHORT_DEADLINE_MS)));
        if (order) await forge(order);
      }
    } catch (error) {
      countError(`flow: ${(error as Error).name}: ${(error as Error).message.slice(0, 60)}`);
    }
    await sleep(between(50, 300));
  }
}

// ---------- faults ----------

async function leaderMember(): Promise<Member | null> {
  const rows = await db.execute<{ name: string }>(sql`
    select a.application_name as name from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.granted and a.application_name like 'chaos-worker-%'`);
  const name = rows[0]?.name.replace(/^chaos-/, '');
  return members.find((member) => member.name === name) ?? null;
}

const THIRD_PARTY_FAULTS = [
  { kind: 'error burst', settings: { failureRate: 0.7 } },
  { kind: 'timeouts', settings: { timeoutRate: 0.5 } },
  { kind: 'slowdown', settings: { latencyMs: 1_500, jitterMs: 1_000 } },
  { kind: 'lost responses', settings: { lostResponseRate: 0.5 } },
] as const;

type Fault = { at: number; kind: 'kill-worker' | 'kill-leader' | 'restart-postgres' | 'third-party' | 'kill-nats-node' };

function schedule(): Fault[] {
  const within = () => between(3_000, Math.max(4_000, runMs - 3_000));
  const faults: Fault[] = [
    ...Array.from({ length: Math.max(5, Math.ceil(minutes * 5)) }, () => ({ at: within(), kind: 'kill-worker' as const })),
    ...Array.from({ length: Math.max(1, Math.ceil(minutes)) }, () => ({ at: within(), kind: 'kill-leader' as const })),
    ...Array.from({ length: Math.max(3, Math.ceil(minutes * 0.8)) }, () => ({ at: within(), kind: 'restart-postgres' as const })),
    ...Array.from({ length: Math.max(3, Math.ceil(minutes * 4)) }, () => ({ at: within(), kind: 'third-party' as const })),
    ...(onNats ? Array.from({ length: Math.max(4, Math.ceil(minutes * 3)) }, () => ({ at: within(), kind: 'kill-nats-node' as const })) : []),
  ];
  return faults.sort((a, b) => a.at - b.at);
}

async function restartAfterPause(member: Member) {
  await sleep(between(300, 2_000));
  launch(member);
}

let postgresDown = false;
async function inject(fault: Fault) {
  const workers = members.filter((member) => member.name.startsWith('worker'));
  switch (fault.kind) {
    case 'kill-worker': {
      const victim = pick(workers);
      if (!victim.child) return;
      await sigkill(victim);
      counts.workerKills++;
      log(`SIGKILL ${victim.name}`);
      void restartAfterPause(victim);
      return;
    }
    case 'kill-leader': {
      const leader = await leaderMember().catch(() => null);
      if (!leader?.child) return log('no relay leader to kill right now');
      await sigkill(leader);
      counts.leaderKills++;
      counts.workerKills++;
      log(`SIGKILL relay leader ${leader.name}`);
      void restartAfterPause(leader);
      return;
    }
    case 'restart-postgres': {
      postgresDown = true;
      postgresServer!.stop('immediate');
      log('PostgreSQL stopped (immediate)');
      await sleep(between(500, 2_000));
      postgresServer!.start();
      postgresDown = false;
      counts.pgRestarts++;
      log('PostgreSQL started again');
      return;
    }
    case 'kill-nats-node': {
      const cluster = natsCluster!;
      if (cluster.names.some((name) => !cluster.running(name))) return log('a NATS node is already down; the cluster keeps its quorum');
      const leader = random() < 0.5 ? await cluster.streamLeader(STREAM) : null;
      const victim = leader ?? pick(cluster.names);
      await cluster.kill(victim);
      counts.natsKills++;
      if (leader) counts.natsLeaderKills++;
      log(`SIGKILL NATS node ${victim}${leader ? ' (the stream leader)' : ''}`);
      void sleep(between(1_000, 6_000)).then(() => {
        if (shuttingDown || cluster.running(victim)) return;
        cluster.restart(victim);
        log(`NATS node ${victim} started again on its store`);
      });
      return;
    }
    case 'third-party': {
      const simulator = pick(['wms', 'payment'] as const);
      const fault3 = pick(THIRD_PARTY_FAULTS);
      const forMs = between(4_000, 12_000);
      try {
        await updateSimulatorSettings(db, { simulator, ...fault3.settings });
        counts.faultBursts++;
        log(`${simulator}: ${fault3.kind} for ${(forMs / 1_000).toFixed(0)}s`);
        setTimeout(() => void healSimulators(simulator), forMs);
      } catch (error) {
        countError(`fault setting: ${(error as Error).message.slice(0, 50)}`);
      }
      return;
    }
  }
}

async function healSimulators(simulator?: 'wms' | 'payment') {
  for (let attempt = 0; attempt < 30; attempt++) {
    try {
      if (simulator) await updateSimulatorSettings(db, { simulator, latencyMs: 0, jitterMs: 0, failureRate: 0, timeoutRate: 0, lostResponseRate: 0 });
      else await resetSimulatorSettings(db);
      return;
    } catch {
      await sleep(1_000);
    }
  }
}

// ---------- drain and verdict ----------

/**
 * Waits until nothing is left to do: no lag, no retries, no relay due, no order settling and no
 * unpaid order whose deadline falls before `deadlinesPassAt` (the last short deadline the
 * shoppers can have set), so that every payment timeout is seen closing its order.
 */
async function drain(deadlineMs: number, deadlinesPassAt: Date) {
  const started = Date.now();
  for (;;) {
    try {
      const lag = (await getLag(db)).reduce((sum, group) => sum + group.lag, 0);
      const [state] = await db.execute<{ retries: number; outbox: number; settling: number }>(sql`
        select (select count(*) from retries)::int as retries,
               (select count(*) from outbox where deliver_at <= now())::int as outbox,
               (select count(*) from orders where status in ${SETTLING_STATUSES}
                  or (status = 'PENDING_PAYMENT' and payment_deadline < greatest(now(), ${deadlinesPassAt.toISOString()}::timestamptz)))::int as settling`);
      log(`drain: lag ${lag}, retries ${state!.retries}, outbox due ${state!.outbox}, orders settling ${state!.settling}`);
      if (lag === 0 && state!.retries === 0 && state!.outbox === 0 && state!.settling === 0) return { drained: true, ms: Date.now() - started };
    } catch (error) {
      log(`drain: ${(error as Error).message}`);
    }
    if (Date.now() - started > deadlineMs) return { drained: false, ms: Date.now() - started };
    await sleep(2_000);
  }
}

/**
 * Events a group's committed offset has passed without a processed mark, a retry or a dead letter.
 * An event the offset has not reached yet is lag, not loss: a payment timeout whose delay ends
 * between the drain and this check is relayed then, and the drain already failed the run on lag.
 */
async function lostEvents(): Promise<{ group: string; lost: number }[]> {
  const groups = createOrderConsumers(defaultConsumerDependencies());
  const result: { group: string; lost: number }[] = [];
  for (const consumer of groups) {
    const types = consumer.types === '*' ? null : [...consumer.types];
    const [row] = await db.execute<{ lost: number }>(sql`
      select count(*)::int as lost from events e
      where e.topic = 'orders' ${types ? sql`and e.type in ${types}` : sql``}
        and e."offset" < (select o.committed_offset from consumer_offsets o where o."group" = ${consumer.group} and o.partition = e.partition)
        and not exists (select 1 from processed_events p where p."group" = ${consumer.group} and p.event_id = e.id)
        and not exists (select 1 from dead_letters d where d."group" = ${consumer.group} and d.event_id = e.id)
        and not exists (select 1 from retries r where r."group" = ${consumer.group} and r.event_id = e.id)`);
    result.push({ group: consumer.group, lost: row!.lost });
  }
  const [outbox] = await db.execute<{ lost: number }>(sql`select count(*)::int as lost from outbox where deliver_at <= now() - interval '30 seconds'`);
  result.push({ group: '(outbox never relayed)', lost: outbox!.lost });
  return result;
}

/** Side effects that must happen once per order, counted where they land. */
async function duplicatedEffects(): Promise<{ what: string; count: number }[]> {
  const queries = {
    'OrderPaid appended more than once': sql`select count(*)::int as count from (select key from events where type = 'OrderPaid' group by key having count(*) > 1) d`,
    'points credited more than once': sql`select count(*)::int as count from (select order_id from points_ledger where entry = 'credit' group by order_id having count(*) > 1) d`,
    'points reversed more than once': sql`select count(*)::int as count from (select order_id from points_ledger where entry = 'reversal' group by order_id having count(*) > 1) d`,
    'order refunded more than once': sql`select count(*)::int as count from (select order_id from refunds where kind = 'order' and status = 'SUCCEEDED' group by order_id having count(*) > 1) d`,
    'provider refunded more than paid': sql`select count(*)::int as count from sim_payments where refunded_cents > amount_cents`,
    'payment recorded twice for an order by one provider payment': sql`select count(*)::int as count from (select id from payments group by id having count(*) > 1) d`,
    'stock moved twice (not conserved)': sql`select count(*)::int as count from ${skuStock} stock where available + frozen + sold + held <> total`,
  };
  const found: { what: string; count: number }[] = [];
  for (const [what, query] of Object.entries(queries)) {
    const [row] = await db.execute<{ count: number }>(query);
    found.push({ what, count: row!.count });
  }
  return found;
}

// ---------- main ----------

let exitCode = 1;
async function main() {
  if (existsSync(root)) rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const appPort = await freePort();
  // The processes run in production mode (DEMO=false), which refuses to start without webhook
  // secrets of its own; chaos signs its payments with the same one (children inherit process.env).
  process.env.PAYMENT_WEBHOOK_SECRET ??= `whsec_${randomBytes(32).toString('base64')}`;
  process.env.WMS_WEBHOOK_SECRET ??= `whsec_${randomBytes(32).toString('base64')}`;
  log(`seed ${seed}, ${minutes} minute(s), log on ${values.log}, data in ${root}`);
  if (onNats) {
    natsCluster = await NatsServers.start(3, { root: path.join(root, 'nats') });
    log(`NATS cluster ${natsCluster.names.join(', ')} at ${natsCluster.urls.join(', ')}`);
  }
  postgresServer = await startControlledPostgres({ dataDir, port: await freePort(), databases: ['conveyor'] });
  const url = postgresServer.url('conveyor');
  db = createDatabase(url, { max: 8, applicationName: 'chaos-driver' });
  await migrateDatabase(db);
  await seedCatalog(db);
  await db.execute(sql`update skus set total = total + 1000000, available = available + 1000000`);
  storefrontAuthorization = `Bearer ${(await issueApiToken(db, { name: 'chaos storefront', scopes: STOREFRONT_SCOPES, actor: 'system:chaos' })).token}`;

  // The processes run in production mode, which refuses a superuser connection: they connect as a role owning the database.
  const applicationDatabaseUrl = await provisionAppRole(postgresServer.url('postgres'), { role: 'conveyor', password: randomBytes(24).toString('base64url'), database: 'conveyor' });

  appUrl = `http://127.0.0.1:${appPort}`;
  const logEnv: Record<string, string> = natsCluster ? { PIPELINE_LOG: 'nats', NATS_URL: natsCluster.urls.join(','), NATS_STREAM_REPLICAS: '3' } : { PIPELINE_LOG: 'postgres' };
  const env = { DATABASE_URL: applicationDatabaseUrl, ORDER_API_URL: appUrl, ORDER_API_PORT: String(appPort), ORDER_API_HOST: '127.0.0.1', DEMO: 'false', SIMULATORS: 'on', OPS_JOBS: 'off', ...logEnv };
  members.push({ name: 'order-api', script: 'server/cli/order-api.ts', env, child: null, starts: 0 });
  members.push({ name: 'worker-1', script: 'server/cli/worker.ts', env, child: null, starts: 0 });
  members.push({ name: 'worker-2', script: 'server/cli/worker.ts', env, child: null, starts: 0 });
  for (const member of members) launch(member);
  for (let ready = false; !ready; await sleep(250)) ready = await fetch(`${appUrl}/api/orders`, { method: 'POST', body: '{}' }).then(() => true, () => false);
  log(`order API at ${appUrl}; workers starting`);

  const faults = schedule();
  const shoppers = Array.from({ length: Number(values.shoppers) }, () => shopper());
  const begin = Date.now();
  await withProgress(
    'faults and traffic',
    async () => {
      for (const fault of faults) {
        const wait = begin + fault.at - Date.now();
        if (wait > 0) await sleep(wait);
        try {
          await inject(fault);
        } catch (error) {
          log(`fault ${fault.kind} failed: ${(error as Error).message}`);
          if (postgresDown) {
            postgresServer!.start();
            postgresDown = false;
          }
        }
      }
      await sleep(Math.max(0, begin + runMs - Date.now()));
    },
    {
      log,
      report: () =>
        `${Math.max(0, Math.round((begin + runMs - Date.now()) / 1_000))} s to go; orders asked ${counts.createsAsked}, payments ${counts.paymentsAsked}, refunds ${counts.refundsAsked}; ` +
        `worker SIGKILLs ${counts.workerKills}, PostgreSQL restarts ${counts.pgRestarts}, third-party bursts ${counts.faultBursts}`,
    },
  );
  trafficOn = false;
  log('faults and traffic stop; waiting for the shoppers in flight');
  await withProgress('shoppers in flight', () => Promise.all(shoppers), { log });
  await healSimulators();
  if (natsCluster) {
    for (const name of natsCluster.names) if (!natsCluster.running(name)) natsCluster.restart(name);
    await natsCluster.waitUntilReady();
  }
  for (const member of members) if (!member.child) launch(member);

  const drained = await drain(Number(values['drain-minutes']) * 60_000, new Date(Date.now() + LONGEST_SHORT_DEADLINE_MS));
  // Late payments and redeliveries may still land on just-closed orders: one more short settle.
  const [lost, duplicated, violations] = await withProgress(
    'checking lost events, duplicated effects and invariants',
    async () => [await lostEvents(), await duplicatedEffects(), await checkOrderInvariants(db, { settleSeconds: 0, stuckAfterSeconds: 0 })] as const,
    { log },
  );
  const stuckInvariant = 'no order sits in an intermediate state past its deadline without a retry or dead letter explaining it';
  const stuck = violations.filter((violation) => violation.invariant === stuckInvariant);
  const others = violations.filter((violation) => violation.invariant !== stuckInvariant);
  const [figures] = await db.execute<Record<string, number>>(sql`
    select (select count(*) from orders)::int as created,
           (select count(*) from orders where payment_id is not null)::int as paid,
           (select count(*) from orders where status = 'REFUNDED')::int as refunded,
           (select count(*) from orders where status = 'CLOSED')::int as closed,
           (select count(*) from orders where status = 'SHIPPED')::int as shipped,
           (select count(*) from orders where status = 'REFUND_FAILED')::int as refund_failed,
           (select count(*) from refunds where kind = 'extra_payment' and status = 'SUCCEEDED')::int as late_refunded,
           (select count(*) from events)::int as appended,
           (select count(*) from processed_events)::int as handled,
           (select count(*) from dead_letters)::int as dead_letters,
           (select count(*) from payments where id like 'forged_%')::int as forged_recorded`);
  const lostTotal = lost.reduce((sum, row) => sum + row.lost, 0);
  const duplicatedTotal = duplicated.reduce((sum, row) => sum + row.count, 0);
  const forged = counts.forgedAccepted + figures!.forged_recorded!;

  console.log(`\nchaos summary — seed ${seed}, ${minutes} min of faults, log on ${values.log}`);
  console.log(`  orders: created ${figures!.created}, paid ${figures!.paid}, shipped ${figures!.shipped}, refunded ${figures!.refunded}, closed ${figures!.closed}, refund failed ${figures!.refund_failed}`);
  console.log(`  traffic: payments ${counts.paymentsAsked} (+${counts.duplicateNotifications} duplicate notifications), late payments ${counts.latePayments}, cancels ${counts.cancels}, refunds asked ${counts.refundsAsked}, forged/stale sent ${counts.forgedSent}`);
  console.log(`  faults: worker SIGKILLs ${counts.workerKills} (of which relay leader ${counts.leaderKills}), PostgreSQL immediate restarts ${counts.pgRestarts}, third-party bursts ${counts.faultBursts}`);
  if (onNats) console.log(`  NATS: node SIGKILLs ${counts.natsKills} (of which stream leader ${counts.natsLeaderKills}), each restarted on its store`);
  console.log(`  unexpected process exits: ${unexpectedExits.length}${unexpectedExits.length ? ` (${unexpectedExits.join('; ')})` : ''}`);
  console.log(`  events: appended ${figures!.appended}, handled (group × event) ${figures!.handled}, dead letters ${figures!.dead_letters}`);
  console.log(`  lost events: ${lostTotal}${lostTotal ? ` (${lost.filter((row) => row.lost).map((row) => `${row.group} ${row.lost}`).join(', ')})` : ''}`);
  console.log(`  duplicated side effects: ${duplicatedTotal}${duplicatedTotal ? ` (${duplicated.filter((row) => row.count).map((row) => `${row.what} ${row.count}`).join(', ')})` : ''}`);
  console.log(`  orders stuck: ${stuck.length}${stuck.length ? ` (${stuck.slice(0, 5).map((row) => `${row.subject}: ${row.detail}`).join('; ')})` : ''}`);
  console.log(`  forged notifications accepted: ${forged}`);
  console.log(`  other invariant violations: ${others.length}`);
  for (const violation of others.slice(0, 10)) console.log(`    ✗ ${violation.invariant} — ${violation.subject}: ${violation.detail}`);
  console.log(`  time to drain: ${drained.drained ? `${(drained.ms / 1_000).toFixed(1)} s` : `not drained after ${(drained.ms / 1_000).toFixed(0)} s`}`);
  console.log(`  client-side errors: ${errors.size === 0 ? 'none' : [...errors].map(([kind, count]) => `${kind} ×${count}`).join(', ')}`);
  const ok =
    lostTotal === 0 && duplicatedTotal === 0 && stuck.length === 0 && forged === 0 && others.length === 0 && drained.drained && unexpectedExits.length === 0;
  console.log(ok ? '  PASS' : '  FAIL');
  exitCode = ok ? 0 : 1;
}

async function cleanUp() {
  trafficOn = false;
  shuttingDown = true;
  await stopAll().catch(() => {});
  if (db) await closeDatabase(db).catch(() => {});
  try {
    postgresServer?.stop('fast');
  } catch {
    // not running
  }
  await natsCluster?.stop({ keepStores: true }).catch(() => {});
  // A failed run keeps its logs: they are how its defect gets found.
  if (!values.keep && exitCode === 0) rmSync(root, { recursive: true, force: true });
  else log(`kept ${root} (logs: order-api.log, worker-*.log, pg/server.log${onNats ? ', nats/n*.log' : ''})`);
}

process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)));
try {
  await main();
} catch (error) {
  console.error(`${stamp()} chaos run failed:`, error);
  exitCode = 2;
} finally {
  await cleanUp();
}
process.exit(exitCode);
