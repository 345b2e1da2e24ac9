/**
 * npm run load:sale -- [--sale ID | --units 5000 --sku SKU-HEADPHONES] [--rate 10000 --duration 20 --buyers 200000]
 *                      [--url http://localhost:3001] [--retry-ratio 0.05] [--pay 50 --price-cents 4999 --pay-wait 60]
 *
 * Drives flash-sale attempts over HTTP (POST /api/sales/:saleId/attempts) at a fixed,
 * open-loop rate with the generator the benchmarks use: buyers drawn at random from
 * --buyers ids, a share of requests resending an earlier attempt id as a retrying client
 * does. Without --sale it first arms a sale of --units of --sku starting now, in the database
 * (DATABASE_URL or the embedded one), and waits for the worker to start it. Prints a line per second (sent, answered by outcome) and a final table. With --pay N,
 * then behaves like N of the admitted buyers: polls GET /api/sales/:saleId/attempts/:attemptId
 * until the order exists and pays it (the sale price, --price-cents with --sale) at the payment provider (the built-in simulator, demo
 * mode), which notifies the order API like for any order. --url is the order API (default
 * ORDER_API_URL, else http://localhost:3001). Attempts carry STOREFRONT_TOKEN when set; else
 * the run registers a storefront token of its own in the database (DATABASE_URL or the
 * embedded one) and revokes it at the end.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { closeDatabase, createDatabase, type Database } from '@/db/client';
import { provideDatabase, type ProvidedDatabase } from '@/db/provide-database';
import { issueApiToken, revokeApiToken } from '@/server/ops/api-tokens';
import { STOREFRONT_SCOPES } from '@/shared/api-token-scopes';
import { payAdmittedOrders } from './pay-sale-orders';
import { percentile } from './bench-processes';
import { driveSaleAttempts, formatSecond } from './sale-attempts';
import { armSaleNow, LOAD_SALE_SKU } from './sale-ledger';
import { withProgress } from '@/server/cli/print-progress';

const { values } = parseArgs({
  options: {
    sale: { type: 'string' },
    units: { type: 'string', default: '5000' },
    sku: { type: 'string', default: LOAD_SALE_SKU },
    rate: { type: 'string', default: '10000' },
    duration: { type: 'string', default: '20' },
    buyers: { type: 'string', default: '200000' },
    url: { type: 'string' },
    'retry-ratio': { type: 'string', default: '0.05' },
    pay: { type: 'string', default: '0' },
    'pay-wait': { type: 'string', default: '60' },
    'price-cents': { type: 'string' },
  },
});
const rate = Number(values.rate);
const durationSeconds = Number(values.duration);
const buyers = Number(values.buyers);
const retryRatio = Number(values['retry-ratio']);
const pay = Number(values.pay);
const payWaitSeconds = Number(values['pay-wait']);
const units = Number(values.units);
if (pay > 0 && values.sale && !(Number(values['price-cents']) > 0)) {
  console.error('--pay with --sale needs --price-cents, the sale price a buyer pays');
  process.exit(2);
}
if (!Number.isInteger(units) || units < 1) {
  console.error('--units takes the whole number of units of the sale to arm (without --sale)');
  process.exit(2);
}
if (!Number.isInteger(rate) || rate < 1 || !(durationSeconds > 0) || !Number.isInteger(buyers) || buyers < 1 || !(retryRatio >= 0 && retryRatio < 1) || !Number.isInteger(pay) || pay < 0 || !(payWaitSeconds > 0)) {
  console.error('--rate takes attempts per second and --buyers a whole number, --duration and --pay-wait seconds, --retry-ratio a share below 1 (e.g. 0.05), --pay a whole number of admitted buyers who pay');
  process.exit(2);
}
const baseUrl = new URL(values.url ?? process.env.ORDER_API_URL ?? 'http://localhost:3001').origin;

let database: ProvidedDatabase | null = null;
let db: Database | null = null;
if (!process.env.STOREFRONT_TOKEN || !values.sale) {
  database = await provideDatabase({ quiet: true });
  db = createDatabase(database.url, { max: 2 });
}
const runToken = !process.env.STOREFRONT_TOKEN ? await issueApiToken(db!, { name: 'npm run load:sale', scopes: STOREFRONT_SCOPES, actor: 'system:load-sale' }) : null;
const token = runToken?.token ?? process.env.STOREFRONT_TOKEN!;
const run = randomUUID().slice(0, 8);
const { saleId, priceCents } = values.sale
  ? { saleId: values.sale, priceCents: Number(values['price-cents']) }
  : await armSaleNow(db!, { name: `npm run load:sale ${run}`, units, sku: values.sku, armedBy: 'system:load-sale' });
if (!values.sale) console.log(`armed sale ${saleId}: ${units} units of ${values.sku}, live now`);

try {
  console.log(`load:sale: ${rate} attempts/s for ${durationSeconds} s against sale ${saleId} at ${baseUrl}, ${buyers} buyers, ${(retryRatio * 100).toFixed(0)}% retries (run ${run})`);
  const result = await driveSaleAttempts(
    { urls: [baseUrl], saleId, token, rate, durationSeconds, buyers, retryRatio, buyerPrefix: `load-sale-${run}-` },
    (tally) => console.log(formatSecond(tally)),
  );
  const answered = Object.values(result.answered).reduce((sum, count) => sum + count, 0);
  const failed = Object.entries(result.failed).map(([kind, count]) => `${kind} ${count}`).join(', ');
  console.log(`\nsummary over ${result.seconds.toFixed(1)} s: sent ${result.sent} (${result.retries} retries of an earlier attempt id), answered ${answered}${failed ? `, no answer: ${failed}` : ''}`);
  console.log('outcome         | answers');
  for (const [outcome, count] of Object.entries(result.answered).sort((a, b) => b[1] - a[1])) console.log(`${outcome.padEnd(15)} | ${String(count).padStart(7)}`);
  console.log(`answer time     | p50 ${percentile(result.latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(result.latenciesMs, 99).toFixed(1)} ms, max ${percentile(result.latenciesMs, 100).toFixed(1)} ms`);
  console.log(`retries answered differently from their first answer: ${result.retriesAnsweredDifferently}`);
  if (pay > 0) {
    const paying = result.admitted.slice(0, pay);
    console.log(`\n${paying.length} admitted buyer(s) wait for their order and pay it (up to ${payWaitSeconds} s)`);
    const paid = await withProgress('load:sale: paying admitted orders', () =>
      payAdmittedOrders({ url: baseUrl, saleId, token, priceCents, attempts: paying, deadlineMs: Date.now() + payWaitSeconds * 1_000 }),
    );
    console.log(`orders paid ${paid.paid}, order not there in time ${paid.noOrder}, payment failed ${paid.failed}; attempt → order p50 ${percentile(paid.orderWaitMs, 50).toFixed(0)} ms, p99 ${percentile(paid.orderWaitMs, 99).toFixed(0)} ms`);
    if (paid.noOrder + paid.failed > 0) process.exitCode = 1;
  }
  if (result.retriesAnsweredDifferently > 0) process.exitCode = 1;
} finally {
  if (runToken) await revokeApiToken(db!, { tokenId: runToken.id, actor: 'system:load-sale' });
  if (db) await closeDatabase(db);
  await database?.stop();
}
process.exit();
