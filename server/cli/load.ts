/**
 * npm run load -- --rate 200 --duration 60 [--refund-ratio 0.05] [--url http://localhost:3001]
 *                 [--serve] [--faults 0.2] [--drain 120]
 *
 * Creates and pays orders through the real HTTP endpoints at a fixed (open-loop) rate:
 * POST /api/orders, then the payment provider simulator's POST /payments, whose first
 * signed notification to /api/payments/notify is timed by the provider. Prints a line per
 * second and a summary. --url is the order API (default ORDER_API_URL, else
 * http://localhost:3001, as `npm start` serves it); --serve runs the order API and a worker in
 * this process on
 * DATABASE_URL or the embedded database; --faults sets that failure rate on all four
 * third-party simulators for the run (needs database access); --drain waits, after the
 * load, until every consumer group has caught up and no retry is pending. The storefront calls
 * carry STOREFRONT_TOKEN when set; else the run registers a token of its own in the database
 * (DATABASE_URL or the embedded one) and revokes it at the end.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { closeDatabase, createDatabase, type Database } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase, type ProvidedDatabase } from '@/db/provide-database';
import { startOrderSystem, type OrderSystem } from '@/server/runtime/order-system';
import { IntegrationError, IntegrationHttpError, IntegrationTimeoutError } from '@/server/integrations/integration-client';
import { createPaymentClient } from '@/server/integrations/payment-client';
import { resetSimulatorSettings, SIMULATORS, updateSimulatorSettings } from '@/server/integrations/simulator-settings';
import { SETTLING_STATUSES } from '@/server/orders/order-state-machine';
import { demoCatalog, seedCatalog } from '@/server/orders/seed-catalog';
import { issueApiToken, revokeApiToken } from '@/server/ops/api-tokens';
import { getLag } from '@/server/pipeline';
import { STOREFRONT_SCOPES } from '@/shared/api-token-scopes';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    duration: { type: 'string', default: '60' },
    'refund-ratio': { type: 'string', default: '0' },
    url: { type: 'string' },
    serve: { type: 'boolean', default: false },
    faults: { type: 'string' },
    drain: { type: 'string', default: '0' },
    users: { type: 'string', default: '5000' },
  },
});
const rate = Number(values.rate);
const durationSeconds = Number(values.duration);
const refundRatio = Number(values['refund-ratio']);
const drainSeconds = Number(values.drain);

class Samples {
  values: number[] = [];
  add(ms: number) {
    this.values.push(ms);
  }
  percentile(p: number): number {
    if (this.values.length === 0) return Number.NaN;
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  }
}

const total = { started: 0, created: 0, paid: 0, notified: 0, refunds: 0, create: new Samples(), notify: new Samples() };
let second = { created: 0, notified: 0, create: new Samples(), notify: new Samples() };
const errors = new Map<string, number>();
let inFlight = 0;

function countError(kind: string) {
  errors.set(kind, (errors.get(kind) ?? 0) + 1);
}

function errorKind(step: string, error: unknown): string {
  if (error instanceof IntegrationTimeoutError) return `${step}:timeout`;
  if (error instanceof IntegrationHttpError) return `${step}:http ${error.status}`;
  if (error instanceof IntegrationError) return `${step}:${error.name}`;
  if (error instanceof Error && error.name === 'TimeoutError') return `${step}:timeout`;
  return `${step}:network`;
}

const fmt = (ms: number) => (Number.isNaN(ms) ? '   -' : `${ms.toFixed(ms < 10 ? 1 : 0).padStart(4)}`);

async function placeAndPay(baseUrl: string, storefrontHeaders: Record<string, string>, payment: ReturnType<typeof createPaymentClient>) {
  const items = Array.from({ length: 1 + Math.floor(Math.random() * 2) }, () => demoCatalog[Math.floor(Math.random() * demoCatalog.length)]![0]);
  const body = {
    userId: `load-user-${Math.floor(Math.random() * Number(values.users))}`,
    contactPhone: `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`,
    items: [...new Set(items)].map((sku) => ({ sku, quantity: 1 + Math.floor(Math.random() * 2) })),
  };
  const started = performance.now();
  let order: { orderId: string; totalCents: number };
  try {
    const response = await fetch(`${baseUrl}/api/orders`, { method: 'POST', headers: storefrontHeaders, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    if (response.status !== 201) {
      countError(`create:http ${response.status}`);
      await response.body?.cancel();
      return;
    }
    order = (await response.json()) as typeof order;
  } catch (error) {
    countError(errorKind('create', error));
    return;
  }
  const createMs = performance.now() - started;
  total.created++, second.created++;
  total.create.add(createMs), second.create.add(createMs);

  // A checkout retries a failed payment call with the same idempotency key: one payment at most.
  let paid: Awaited<ReturnType<typeof payment.createPayment>> | null = null;
  for (let attempt = 1; attempt <= 3 && !paid; attempt++) {
    try {
      paid = await payment.createPayment({ orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${baseUrl}/api/payments/notify` }, `load:${order.orderId}`);
    } catch (error) {
      countError(errorKind('pay', error));
    }
  }
  if (!paid) return;
  total.paid++;
  if (paid.notification?.delivered) {
    total.notified++, second.notified++;
    total.notify.add(paid.notification.latencyMs), second.notify.add(paid.notification.latencyMs);
  } else if (paid.notification) {
    countError(`notify:${paid.notification.status ?? 'network'} (provider redelivers)`);
  }

  if (Math.random() < refundRatio) {
    try {
      const response = await fetch(`${baseUrl}/api/orders/${order.orderId}/refund`, {
        method: 'POST',
        headers: storefrontHeaders,
        body: JSON.stringify({ userId: body.userId, reason: 'load: customer asked for a refund' }),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status === 202) total.refunds++;
      else countError(`refund:http ${response.status}`);
      await response.body?.cancel();
    } catch (error) {
      countError(errorKind('refund', error));
    }
  }
}

async function waitUntilDrained(db: Database, seconds: number) {
  const deadline = Date.now() + seconds * 1_000;
  for (;;) {
    const lag = (await getLag(db)).reduce((sum, group) => sum + group.lag, 0);
    const [pending] = await db.execute<{ retries: number; outbox: number }>(
      sql`select (select count(*) from retries)::int as retries, (select count(*) from outbox where deliver_at <= now())::int as outbox`,
    );
    const settling = await db.execute<{ count: number }>(sql`select count(*)::int as count from orders where status in ${SETTLING_STATUSES}`);
    console.log(`drain: lag ${lag}, retries ${pending!.retries}, outbox ${pending!.outbox}, orders in flight ${settling[0]!.count}`);
    if (lag === 0 && pending!.retries === 0 && pending!.outbox === 0 && settling[0]!.count === 0) return;
    if (Date.now() > deadline) {
      console.log('drain: deadline reached before everything settled');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

let database: ProvidedDatabase | null = null;
let db: Database | null = null;
let system: OrderSystem | null = null;
const ownToken = !process.env.STOREFRONT_TOKEN;
if (values.serve || values.faults !== undefined || drainSeconds > 0 || ownToken) {
  database = await provideDatabase({ quiet: true });
  db = createDatabase(database.url, { max: 20 });
}
if (values.serve) {
  await migrateDatabase(db!);
  await seedCatalog(db!);
  // Shorter retry backoff than production so a faulty run settles within minutes.
  system = await startOrderSystem({ db: db!, url: database!.url, consumers: { backoff: { baseMs: 500, maxMs: 10_000 } } });
}
const baseUrl = system?.url ?? values.url ?? process.env.ORDER_API_URL ?? 'http://localhost:3001';
const runToken = ownToken ? await issueApiToken(db!, { name: 'npm run load', scopes: STOREFRONT_SCOPES, actor: 'system:load' }) : null;
const storefrontHeaders = { 'content-type': 'application/json', authorization: `Bearer ${runToken?.token ?? process.env.STOREFRONT_TOKEN}` };
const payment = createPaymentClient({ name: 'payment', baseUrl: `${baseUrl}/api/sim/payment`, timeoutMs: 10_000 });
if (values.faults !== undefined) {
  for (const simulator of SIMULATORS) await updateSimulatorSettings(db!, { simulator, failureRate: Number(values.faults) });
}

console.log(`load: ${rate} orders/s for ${durationSeconds}s against ${baseUrl}${refundRatio ? `, refunding ${refundRatio * 100}%` : ''}${values.faults ? `, third parties failing ${Number(values.faults) * 100}%` : ''} (run ${randomUUID().slice(0, 8)})`);
const flows: Promise<void>[] = [];
const startedAt = performance.now();
let due = 0;
const ticker = setInterval(() => {
  // Open loop: how many orders should have started by now, whatever the server's speed.
  const elapsed = (performance.now() - startedAt) / 1_000;
  const target = Math.min(Math.floor(elapsed * rate), rate * durationSeconds);
  for (; due < target; due++) {
    total.started++;
    inFlight++;
    flows.push(placeAndPay(baseUrl, storefrontHeaders, payment).finally(() => inFlight--));
  }
}, 5);
const reporter = setInterval(() => {
  const elapsed = Math.round((performance.now() - startedAt) / 1_000);
  const errorCount = [...errors.values()].reduce((sum, count) => sum + count, 0);
  console.log(
    `[${String(elapsed).padStart(3)}s] created ${String(second.created).padStart(5)}/s  notified ${String(second.notified).padStart(5)}/s  ` +
      `create p50 ${fmt(second.create.percentile(50))} p99 ${fmt(second.create.percentile(99))} ms  ` +
      `notify p50 ${fmt(second.notify.percentile(50))} p99 ${fmt(second.notify.percentile(99))} ms  in flight ${inFlight}  errors ${errorCount}`,
  );
  second = { created: 0, notified: 0, create: new Samples(), notify: new Samples() };
}, 1_000);

await new Promise((resolve) => setTimeout(resolve, durationSeconds * 1_000));
clearInterval(ticker);
await Promise.all(flows);
clearInterval(reporter);
const seconds = (performance.now() - startedAt) / 1_000;

console.log(`\nsummary over ${seconds.toFixed(1)} s`);
console.log(`  orders started ${total.started}, created ${total.created}, paid ${total.paid}, notified on first delivery ${total.notified}, refunds requested ${total.refunds}`);
console.log(`  create latency  p50 ${fmt(total.create.percentile(50))} ms  p99 ${fmt(total.create.percentile(99))} ms`);
console.log(`  notify latency  p50 ${fmt(total.notify.percentile(50))} ms  p99 ${fmt(total.notify.percentile(99))} ms`);
console.log(`  errors by kind: ${errors.size === 0 ? 'none' : ''}`);
for (const [kind, count] of [...errors.entries()].sort((a, b) => b[1] - a[1])) console.log(`    ${kind}: ${count}`);

if (values.faults !== undefined) await resetSimulatorSettings(db!);
if (runToken) await revokeApiToken(db!, { tokenId: runToken.id, actor: 'system:load' });
if (drainSeconds > 0) await waitUntilDrained(db!, drainSeconds);
await system?.stop();
if (db) await closeDatabase(db);
await database?.stop();
