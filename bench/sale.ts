/**
 * npm run bench:sale [-- --runs 3 --rate 10000 --duration 20 --units 5000 --buyers 200000 --checkout-rate 200] [--one-order-api] [--worker-tier background|foreground] [--sale-doors 1]
 *
 * --sale-doors N starts N order APIs serving sales and sends each attempt to the next.
 * As in bench:payment, the worker tier and the third parties, with their database sessions, run
 * on the CPU the order APIs leave idle (background-tier.ts), as on machines of their own; the
 * generators and the order APIs' sessions (the sale's pool among them) do not. With
 * --worker-tier foreground everything shares the two cores alike, as on one small server.
 *
 * The attempts go to an order API serving only flash sales (ORDER_API_SERVES=sales), the
 * shopping to another serving the rest, as docs/scale-out.md deploys a sale; --one-order-api
 * serves both from one process, to see what that costs normal checkout.
 * A flash sale over HTTP against the documented processes, `npm run order-api` and
 * `npm run worker`, on a throw-away database (DATABASE_URL's server, else an embedded one
 * under .data/bench-postgres). One run: normal shopping alone (checkouts and payment
 * notifications at --checkout-rate each), then a sale of --units armed and started, attempts
 * at --rate for --duration seconds from --buyers buyers while the same shopping goes on, then
 * the sale's orders drained. Each run prints decision p50/p99 (the attempts' answer time at
 * the client), attempts answered vs sent, units oversold (from the database: admitted beyond
 * the units armed, and sold + reserved + left against armed), the peak rate at which sale
 * orders were written (per second, from the orders' creation times) against
 * SALE_ORDERS_PER_SECOND, and checkout and notification p99 without and with the sale.
 * Generators run in child processes of their own, open-loop (bench/fixed-rate.ts), so a slow
 * server cannot slow the offered rate down.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { provisionAppRole } from '@/db/app-role';
import { createDatabase } from '@/db/client';
import { freePort, startEmbeddedPostgres } from '@/db/embedded';
import { migrateDatabase } from '@/db/migrate';
import { serveHttp } from '@/server/http/serve-http';
import { createSimulators, simulatorDatabase } from '@/server/integrations/simulators';
import { seedCatalog } from '@/server/orders/seed-catalog';
import { saleOrdersPerSecond } from '@/server/sales/sale-settings';
import { issueApiToken } from '@/server/ops/api-tokens';
import { STOREFRONT_SCOPES } from '@/shared/api-token-scopes';
import { backgroundOtherTiersSessions, median, percentile, processTree, seedPendingOrders, startCommand, stopChildrenOnExit } from './bench-processes';
import { backgroundTier } from './background-tier';
import { runCheckoutTraffic, type CheckoutTrafficJob, type CheckoutTrafficResult } from './checkout-traffic';
import { armSaleNow, endSaleNow, saleLedger } from './sale-ledger';
import { driveSaleAttempts, formatSecond, type SaleAttemptsJob, type SaleAttemptsResult } from './sale-attempts';
import { withProgress } from '@/server/cli/print-progress';

type Role = 'attempts' | 'checkout' | 'third-parties';

/** Seconds of normal shopping before the first run, not recorded (see `shopping`). */
const WARM_UP_SECONDS = 3;
const role = process.argv[2] as Role | undefined;
/** The order APIs' application name, so their sessions can be told from the other tiers'. */
const WEB_TIER = 'bench-web';

function startChild(childRole: Role, args: string[] = []): Promise<{ child: ChildProcess; url?: string }> {
  // A session of its own (detached), so that, with autogroup scheduling, it does not share the web tier's CPU share.
  const child = fork(fileURLToPath(import.meta.url), [childRole, ...args], { execArgv: process.execArgv, detached: true });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, url: (message as { url?: string }).url }));
    child.once('exit', (code) => reject(new Error(`${childRole} exited with ${code} before it was ready`)));
  });
}

function ask<Result>(child: ChildProcess, job: SaleAttemptsJob | CheckoutTrafficJob): Promise<Result> {
  return new Promise((resolve) => {
    const listen = (message: { result?: Result; line?: string }) => {
      if (message.line !== undefined) return console.log(`  ${message.line}`);
      child.off('message', listen);
      resolve(message.result as Result);
    };
    child.on('message', listen);
    child.send(job);
  });
}

interface RunReport {
  run: number;
  decisionP50: number;
  decisionP99: number;
  serverDecisionP99: number | null;
  sent: number;
  answered: number;
  outcomes: Record<string, number>;
  retriesAnsweredDifferently: number;
  oversold: number;
  ledgerDifference: number;
  buyersOverLimit: number;
  ordersCreated: number;
  admitted: number;
  peakOrdersPerSecond: number;
  drainSeconds: number;
  without: CheckoutTrafficResult;
  with: CheckoutTrafficResult;
  loadBefore: number;
  loadAfter: number;
}

async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '1' },
      rate: { type: 'string', default: '10000' },
      duration: { type: 'string', default: '20' },
      units: { type: 'string', default: '5000' },
      buyers: { type: 'string', default: '200000' },
      'checkout-rate': { type: 'string', default: '200' },
      'one-order-api': { type: 'boolean', default: false },
      'worker-tier': { type: 'string', default: 'background' },
      'sale-doors': { type: 'string', default: '1' },
    },
  });
  const workerTier = values['worker-tier'];
  if (workerTier !== 'background' && workerTier !== 'foreground') {
    console.error('--worker-tier takes background or foreground');
    process.exit(2);
  }
  const oneOrderApi = values['one-order-api'];
  const saleDoorCount = Number(values['sale-doors']);
  if (!Number.isInteger(saleDoorCount) || saleDoorCount < 1) {
    console.error('--sale-doors takes a whole number above 0');
    process.exit(2);
  }
  const [runs, rate, durationSeconds, units, buyers, checkoutRate] = [values.runs, values.rate, values.duration, values.units, values.buyers, values['checkout-rate']].map(Number) as [number, number, number, number, number, number];
  if (![runs, rate, units, buyers, checkoutRate].every((value) => Number.isInteger(value) && value > 0) || !(durationSeconds > 0)) {
    console.error('--runs, --rate, --units, --buyers and --checkout-rate take whole numbers above 0, --duration seconds');
    process.exit(2);
  }
  const orderCap = saleOrdersPerSecond();

  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dir: path.resolve('.data/bench-postgres'), quiet: true });
  const serverUrl = process.env.DATABASE_URL ?? embedded!.adminUrl;
  const databaseName = `bench_sale_${Date.now()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${databaseName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  // Production mode (DEMO=false) refuses to start without webhook secrets of its own; the children inherit these.
  process.env.PAYMENT_WEBHOOK_SECRET ??= `whsec_${randomBytes(32).toString('base64')}`;
  process.env.WMS_WEBHOOK_SECRET ??= `whsec_${randomBytes(32).toString('base64')}`;
  const db = createDatabase(url.toString(), { max: 10, applicationName: 'bench-sale' });
  const children: ChildProcess[] = [];
  const stops: (() => void)[] = [];
  const background = workerTier === 'background' ? backgroundTier(`conveyor-bench-sale-${process.pid}`) : null;
  if (background) stops.push(() => background.close());
  stopChildrenOnExit(children, () => embedded?.stop() ?? Promise.resolve());

  try {
    await migrateDatabase(db);
    await seedCatalog(db);
    // The shop's order API listens on this port; the third parties call it back there.
    const orderApiPort = await freePort();
    const orderApiUrl = `http://127.0.0.1:${orderApiPort}`;
    const thirdParties = await startChild('third-parties', [url.toString(), orderApiUrl]);
    children.push(thirdParties.child);
    background?.add(thirdParties.child.pid!);
    const appDatabaseUrl = await provisionAppRole(serverUrl, { role: 'conveyor_bench', password: randomBytes(24).toString('base64url'), database: databaseName });
    const common = { DATABASE_URL: appDatabaseUrl, DEMO: 'false', SIMULATORS: 'off', SALE_ORDERS_PER_SECOND: String(orderCap) };
    // The generators stand in for 200,000 buyers but come from one address: the per-address throttle (0: none) would answer nearly every attempt `throttled`.
    const startOrderApiServing = async (serves: string | null, port: number) => {
      const env = { ...common, ORDER_API_PORT: String(port), ORDER_API_HOST: '127.0.0.1', SALE_ATTEMPTS_PER_ADDRESS_PER_SECOND: '0', CONVEYOR_APPLICATION_NAME: WEB_TIER, ...(serves && { ORDER_API_SERVES: serves }) };
      children.push(await startCommand('order-api', env, (line) => line.startsWith('{"orderApi"')));
      return { url: `http://127.0.0.1:${port}`, pid: children.at(-1)!.pid };
    };
    // As deployed for a sale (docs/scale-out.md): the attempts reach order-API processes of
    // their own, the shop and the callbacks another; --one-order-api serves everything from one.
    const shop = await startOrderApiServing(oneOrderApi ? null : 'storefront,payments,warehouse,feed', orderApiPort);
    const saleDoors = [];
    if (oneOrderApi) saleDoors.push(shop);
    else for (let door = 0; door < saleDoorCount; door++) saleDoors.push(await startOrderApiServing('sales', await freePort()));
    const worker = await startCommand(
      'worker',
      {
        ...common,
        ORDER_API_URL: orderApiUrl,
        PAYMENT_PROVIDER_URL: `${thirdParties.url}/api/sim/payment`,
        WMS_URL: `${thirdParties.url}/api/sim/wms`,
        SMS_GATEWAY_URL: `${thirdParties.url}/api/sim/sms`,
        INTEGRATION_TIMEOUT_MS: '5000',
      },
      (line) => line.includes('consumer group(s)'),
    );
    children.push(worker);
    if (background) for (const pid of processTree(worker.pid!)) background.add(pid);
    // The order APIs' sessions, the sale's own pool among them, stay in the foreground with them.
    const sessionsInBackground = background !== null && embedded !== null;
    if (sessionsInBackground) stops.push(backgroundOtherTiersSessions(db, background, [WEB_TIER, 'conveyor-sale']));
    const attempts = await startChild('attempts');
    const checkout = await startChild('checkout');
    children.push(attempts.child, checkout.child);
    const token = (await issueApiToken(db, { name: 'npm run bench:sale', scopes: STOREFRONT_SCOPES, actor: 'system:bench-sale' })).token;
    console.log(
      oneOrderApi
        ? `one order API for everything (npm run order-api, pid ${shop.pid}) at ${shop.url}; `
        : `order API for the shop and callbacks (pid ${shop.pid}) at ${shop.url}, ${saleDoors.length} order API(s) for sale attempts (ORDER_API_SERVES=sales, each attempt to the next): ${saleDoors.map((door) => `pid ${door.pid} at ${door.url}`).join(', ')}; `,
    );
    console.log(`worker (npm run worker, pid ${worker.pid}); sale orders capped at ${orderCap}/s`);
    console.log(
      background
        ? `worker tier, third parties${sessionsInBackground ? ' and their database sessions' : ''} run on the CPU the order APIs leave idle: ${background.mechanism}`
        : 'worker tier and third parties share the CPU with the order APIs (--worker-tier foreground)',
    );

    const shopping = async (phase: string, seconds = durationSeconds): Promise<CheckoutTrafficResult> => {
      const pendingOrders = await seedPendingOrders(db, phase, Math.round(checkoutRate * seconds));
      const job: CheckoutTrafficJob = { url: orderApiUrl, token, rate: checkoutRate, durationSeconds: seconds, pendingOrders, customerPrefix: `bench-${phase}-` };
      return ask<CheckoutTrafficResult>(checkout.child, job);
    };
    // The first seconds of a fresh order API (connections opened, code compiled, plans cached)
    // are slower than the rest; unrecorded, as in bench:payment, so "without the sale" is steady state.
    console.log(`warming up: ${WARM_UP_SECONDS} s of normal shopping, not recorded`);
    await shopping('warm_up', WARM_UP_SECONDS);

    const reports: RunReport[] = [];
    for (let run = 1; run <= runs; run++) {
      const loadBefore = loadavg()[0]!;
      console.log(`\nrun ${run}: normal shopping alone, ${checkoutRate} checkouts/s and ${checkoutRate} payment notifications/s for ${durationSeconds} s`);
      const without = await withProgress(`run ${run}: shopping alone`, () => shopping(`without_${run}`));
      const { saleId } = await armSaleNow(db, { name: `bench:sale run ${run}`, units, armedBy: 'system:bench-sale' });
      console.log(`run ${run}: sale ${saleId} live with ${units} units; ${rate} attempts/s from ${buyers} buyers for ${durationSeconds} s, the same shopping beside it`);
      const job: SaleAttemptsJob = { urls: saleDoors.map((door) => door.url), saleId, token, rate, durationSeconds, buyers, retryRatio: 0.05, buyerPrefix: `bench-${run}-${randomUUID().slice(0, 6)}-` };
      const ledgerLine = async () => {
        const now = await saleLedger(db, saleId);
        return `admitted ${now.admitted}, orders ${now.ordersCreated}, awaiting an order ${now.awaitingOrder}`;
      };
      const [sale, withSale] = await withProgress(
        `run ${run}: sale and shopping`,
        () => Promise.all([ask<Omit<SaleAttemptsResult, 'admitted'>>(attempts.child, job), shopping(`with_${run}`)]),
        { report: ledgerLine },
      );
      const drainStarted = Date.now();
      let ledger = await saleLedger(db, saleId);
      ledger = await withProgress(
        `run ${run}: sale orders draining`,
        async () => {
          while (ledger.awaitingOrder > 0 && Date.now() - drainStarted < 180_000) {
            await new Promise((resolve) => setTimeout(resolve, 500));
            ledger = await saleLedger(db, saleId);
          }
          return ledger;
        },
        { report: ledgerLine },
      );
      const drainSeconds = (Date.now() - drainStarted) / 1_000;
      await endSaleNow(db, saleId);
      const answered = Object.values(sale.answered).reduce((sum, count) => sum + count, 0);
      const report: RunReport = {
        run,
        decisionP50: percentile(sale.latenciesMs, 50),
        decisionP99: percentile(sale.latenciesMs, 99),
        serverDecisionP99: ledger.serverDecisionP99Ms,
        sent: sale.sent,
        answered,
        outcomes: sale.answered,
        retriesAnsweredDifferently: sale.retriesAnsweredDifferently,
        // Units held by buyers beyond what the sale had to give: zero unless admission oversold.
        oversold: Math.max(0, ledger.reserved + ledger.sold - (ledger.armed - ledger.returnedToStock)),
        ledgerDifference: ledger.armed - (ledger.left + ledger.reserved + ledger.sold + ledger.returnedToStock),
        buyersOverLimit: ledger.buyersOverLimit,
        ordersCreated: ledger.ordersCreated,
        admitted: ledger.admitted,
        peakOrdersPerSecond: ledger.peakOrdersPerSecond,
        drainSeconds,
        without,
        with: withSale,
        loadBefore,
        loadAfter: loadavg()[0]!,
      };
      reports.push(report);
      console.log(
        `run ${run}: decision p50 ${report.decisionP50.toFixed(1)} ms, p99 ${report.decisionP99.toFixed(1)} ms (order API's own p99 ≤ ${report.serverDecisionP99 ?? '—'} ms); answered ${answered}/${sale.sent} ${JSON.stringify(sale.answered)}, no answer ${JSON.stringify(sale.failed)}; ` +
          `retries answered differently ${report.retriesAnsweredDifferently}; oversold ${report.oversold}, armed − (left + reserved + sold + returned to stock) = ${report.ledgerDifference}, buyers over the limit ${report.buyersOverLimit}; ` +
          `orders ${report.ordersCreated}/${report.admitted} admitted, peak ${report.peakOrdersPerSecond}/s (cap ${orderCap}), drained ${drainSeconds.toFixed(1)} s after the attempts; ` +
          `checkout p99 ${without.checkoutP99.toFixed(1)} → ${withSale.checkoutP99.toFixed(1)} ms, notification p99 ${without.notifyP99.toFixed(1)} → ${withSale.notifyP99.toFixed(1)} ms ` +
          `(errors ${JSON.stringify({ ...without.errors, ...withSale.errors })}); load ${loadBefore.toFixed(2)} → ${report.loadAfter.toFixed(2)}`,
      );
    }

    const m = (pick: (report: RunReport) => number) => median(reports.map(pick));
    const row = (name: string, value: string, target: string) => console.log(`${name.padEnd(48)} | ${value.padStart(22)} | ${target}`);
    console.log(`\nflash sale: ${units} units, ${buyers} buyers, ${rate} attempts/s for ${durationSeconds} s; medians of ${runs} run(s); worker tier ${workerTier === 'background' ? 'on idle CPU' : 'in the foreground'}; load average now ${loadavg().map((value) => value.toFixed(2)).join(' ')} (shared machine)`);
    row('figure', 'median (each run)', 'target');
    const each = (pick: (report: RunReport) => number, digits = 1) => `${m(pick).toFixed(digits)} (${reports.map((report) => pick(report).toFixed(digits)).join(' / ')})`;
    row('decision p50 (ms)', each((report) => report.decisionP50), '');
    row('decision p99 (ms)', each((report) => report.decisionP99), '≤ 50');
    row("order API's own decision p99 (ms, bucket bound)", each((report) => report.serverDecisionP99 ?? Number.NaN, 0), '');
    row('attempts answered / sent', `${m((report) => report.answered)} / ${m((report) => report.sent)}`, 'all');
    row('attempts answered throttled (429, undecided)', each((report) => report.outcomes.throttled ?? 0, 0), '');
    row('units oversold', each((report) => report.oversold, 0), '0');
    row('armed − (left + reserved + sold + to stock)', each((report) => report.ledgerDifference, 0), '0');
    row('buyers over their limit', each((report) => report.buyersOverLimit, 0), '0');
    row('sale orders created / admitted', `${m((report) => report.ordersCreated)} / ${m((report) => report.admitted)}`, 'all');
    row('peak sale order inserts per second', each((report) => report.peakOrdersPerSecond, 0), `≤ ${orderCap} (SALE_ORDERS_PER_SECOND)`);
    row('checkout p99 without the sale (ms)', each((report) => report.without.checkoutP99), '');
    row('checkout p99 with the sale (ms)', each((report) => report.with.checkoutP99), '+ ≤ 5');
    row('payment notification p99 without (ms)', each((report) => report.without.notifyP99), '');
    row('payment notification p99 with (ms)', each((report) => report.with.notifyP99), '+ ≤ 5');
    row('load average before → after', reports.map((report) => `${report.loadBefore.toFixed(2)}→${report.loadAfter.toFixed(2)}`).join(' '), '');
  } finally {
    for (const stop of stops.reverse()) stop();
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill('SIGTERM'))))));
    await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
    await admin.end();
    await embedded?.stop();
  }
}

// Detached children outlive a parent that crashed unless they leave with it.
if (role) process.on('disconnect', () => process.exit(1));

if (role === 'attempts') {
  process.on('message', (job: SaleAttemptsJob) =>
    void driveSaleAttempts(job, (tally) => process.send!({ line: formatSecond(tally) })).then(({ admitted: _admitted, ...result }) => process.send!({ result })),
  );
  process.send!({ ready: true });
} else if (role === 'checkout') {
  process.on('message', (job: CheckoutTrafficJob) => void runCheckoutTraffic(job, (line) => process.send!({ line })).then((result) => process.send!({ result })));
  process.send!({ ready: true });
} else if (role === 'third-parties') {
  const simulators = createSimulators({ db: simulatorDatabase(process.argv[3]!), wmsDispatchDelayMs: 1_000, merchantOrigins: () => [process.argv[4]!] });
  const server = await serveHttp({ prefixes: { '/api/sim': simulators.handler } });
  simulators.start(100);
  process.send!({ ready: true, url: server.url });
} else {
  await main();
  process.exit(0);
}
