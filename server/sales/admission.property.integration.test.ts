import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase } from '@/db/client';
import { isDomainError } from '@/server/errors';
import { createSku, paymentNotification, postSignedJson } from '@/server/orders/test-fixtures';
import { issueApiToken } from '@/server/ops/api-tokens';
import { startWorker, type Worker } from '@/server/runtime/worker';
import { STOREFRONT_SCOPES } from '@/shared/api-token-scopes';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import { armSale } from './arm-sale';
import { pauseSale, resumeSale } from './pause-sale';
import { saleUnits } from './sale-figures';
import { killProcess, startOrderApiProcess, stopProcess, type ConveyorProcess } from './test-support/processes';

const { db, url } = await createTestDatabase({ max: 8 });
const pipelineDb = createDatabase(url, { max: 8, applicationName: 'conveyor-pipeline' });
const apiEnv = { DATABASE_URL: url, SALE_ATTEMPTS_PER_ADDRESS_PER_SECOND: '0', SALE_POOL_SIZE: '2', DATABASE_POOL_SIZE: '4' };
const apis: ConveyorProcess[] = [];
let worker: Worker;
let token: string;

beforeAll(async () => {
  apis.push(...(await Promise.all([startOrderApiProcess(apiEnv), startOrderApiProcess(apiEnv)])));
  worker = await startWorker({ db: pipelineDb, pipeline: fastPipelineOptions, opsJobs: false, dependencies: { saleOrdersPerSecond: 200 } });
  ({ token } = await issueApiToken(db, { name: 'property storefront', scopes: STOREFRONT_SCOPES }));
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await Promise.all(apis.map(stopProcess));
  await closeDatabase(pipelineDb);
});

const BUYERS = 6;
const LIMIT = 2;
const UNITS = 7;
const PRICE = 1_300;

type Action =
  | { kind: 'attempts'; api: number; buyers: number[] }
  | { kind: 'retry'; api: number; pick: number }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'pay'; pick: number }
  | { kind: 'kill'; api: number; buyers: number[] }
  | { kind: 'wait'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('attempts' as const), api: fc.integer({ min: 0, max: 1 }), buyers: fc.array(fc.integer({ min: 0, max: BUYERS - 1 }), { minLength: 1, maxLength: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retry' as const), api: fc.integer({ min: 0, max: 1 }), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resume' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pay' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('kill' as const), api: fc.integer({ min: 0, max: 1 }), buyers: fc.array(fc.integer({ min: 0, max: BUYERS - 1 }), { minLength: 1, maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 50, max: 700 }) }) },
);

interface Sent {
  attemptId: string;
  buyerId: string;
  /** The first decided answer, once one came back. */
  outcome?: string;
  reservationId?: string;
}

async function post(api: number, saleId: string, sent: Sent): Promise<{ outcome: string; reservationId?: string } | null> {
  try {
    const response = await fetch(`${apis[api]!.ready}/api/sales/${saleId}/attempts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ buyerId: sent.buyerId, attemptId: sent.attemptId }),
    });
    if (response.status !== 200) throw new Error(`attempt answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as { outcome: string; reservationId?: string };
  } catch (error) {
    // A killed process drops its connections: the client does not know the outcome and retries later.
    if (error instanceof TypeError) return null;
    throw error;
  }
}

function remember(sent: Sent, answer: { outcome: string; reservationId?: string } | null) {
  if (!answer) return;
  if (sent.outcome === undefined) {
    sent.outcome = answer.outcome;
    sent.reservationId = answer.reservationId;
  } else {
    // A retry is answered its first outcome, whichever process answers it.
    expect({ outcome: answer.outcome, reservationId: answer.reservationId }).toEqual({ outcome: sent.outcome, reservationId: sent.reservationId });
  }
}

async function pendingOrders(saleId: string) {
  return db.execute<{ orderId: string }>(sql`
    select o.id as "orderId" from sale_attempts a join orders o on o.id = a.order_id
    where a.sale_id = ${saleId} and o.status = 'PENDING_PAYMENT' order by o.id`);
}

async function ignoringConflict(command: Promise<unknown>) {
  await command.catch((error: unknown) => {
    if (!isDomainError(error, 'CONFLICT')) throw error;
  });
}

async function run(actions: Action[]) {
  const sku = await createSku(db, { stock: UNITS + 5, priceCents: 9_000 });
  const sale = await armSale(db, {
    name: 'property',
    sku,
    units: UNITS,
    priceCents: PRICE,
    perBuyerLimit: LIMIT,
    paymentTimeoutMs: 1_000,
    startsAt: new Date(Date.now() - 1_000),
    endsAt: new Date(Date.now() + 3_600_000),
    armedBy: 'property',
  });
  const sent: Sent[] = [];
  const fresh = (buyer: number) => {
    const attempt = { attemptId: `att_${randomUUID()}`, buyerId: `buyer-${buyer}` };
    sent.push(attempt);
    return attempt;
  };

  for (const step of actions) {
    if (step.kind === 'attempts') {
      await Promise.all(step.buyers.map(async (buyer) => {
        const attempt = fresh(buyer);
        remember(attempt, await post(step.api, sale.id, attempt));
      }));
    } else if (step.kind === 'retry' && sent.length > 0) {
      const attempt = sent[step.pick % sent.length]!;
      remember(attempt, await post(step.api, sale.id, attempt));
    } else if (step.kind === 'pause') {
      await ignoringConflict(pauseSale(db, { saleId: sale.id }));
    } else if (step.kind === 'resume') {
      await ignoringConflict(resumeSale(db, { saleId: sale.id }));
    } else if (step.kind === 'pay') {
      const pending = await pendingOrders(sale.id);
      if (pending.length > 0) {
        const { orderId } = pending[step.pick % pending.length]!;
        const paid = await postSignedJson(`${apis[0]!.ready}/api/payments/notify`, paymentNotification(orderId, PRICE));
        expect(paid.status).toBe(200);
      }
    } else if (step.kind === 'kill') {
      // Attempts in flight while their process is killed: some may be decided, some never reached it.
      const burst = Promise.all(step.buyers.map(async (buyer) => {
        const attempt = fresh(buyer);
        remember(attempt, await post(step.api, sale.id, attempt));
      }));
      await killProcess(apis[step.api]!);
      await burst;
      apis[step.api] = await startOrderApiProcess(apiEnv);
    } else if (step.kind === 'wait') {
      await new Promise((resolve) => setTimeout(resolve, step.ms));
    }
  }

  // Every client retries what it never heard back about, as a buyer's app would.
  for (const attempt of sent.filter((candidate) => candidate.outcome === undefined)) remember(attempt, await post(1, sale.id, attempt));

  const admitted = await waitFor(async () => {
    const [row] = await db.execute<{ admitted: number; withOrder: number }>(sql`
      select count(*)::int as admitted, count(order_id)::int as "withOrder" from sale_attempts where sale_id = ${sale.id} and outcome = 'admitted'`);
    return row!.admitted === row!.withOrder ? row! : null;
  }, { what: 'an order for every admitted attempt', timeoutMs: 20_000, intervalMs: 100 });

  // Every admitted attempt became exactly one order of the sale's SKU at the sale price.
  const [orders] = await db.execute<{ orders: number; distinctAttempts: number }>(sql`
    select count(*)::int as orders, count(distinct a.attempt_id)::int as "distinctAttempts"
    from orders o join order_items i on i.order_id = o.id left join sale_attempts a on a.order_id = o.id
    where i.sku = ${sku}`);
  expect(orders).toEqual({ orders: admitted.admitted, distinctAttempts: admitted.admitted });

  // Never more units out than armed: every unit is left, reserved, sold or back, and re-admitted units came back first.
  const units = (await saleUnits(db, [sale.id])).get(sale.id)!;
  expect(units.left + units.reserved + units.sold + units.returnedToStock).toBe(UNITS);
  expect(admitted.admitted - units.returned).toBeLessThanOrEqual(UNITS);
  expect(sent.filter((attempt) => attempt.outcome === 'admitted').length).toBe(admitted.admitted);

  // No buyer above the limit, whichever process admitted them.
  const perBuyer = await db.execute<{ buyerId: string; admitted: number }>(sql`
    select buyer_id as "buyerId", count(*)::int as admitted from sale_attempts where sale_id = ${sale.id} and outcome = 'admitted' group by buyer_id`);
  for (const buyer of perBuyer) expect(buyer.admitted).toBeLessThanOrEqual(LIMIT);
}

describe('flash-sale admission across two order-API processes', () => {
  it('never admits more than armed or above a buyer’s limit, and turns every admission into exactly one order', async () => {
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 10 }), run), { numRuns: 6, endOnFailure: true });
  }, 120_000);
});
