import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skus } from '@/db/schema';
import { createSku, eventually, orderRow, paymentNotification, postSignedJson } from '@/server/orders/test-fixtures';
import { issueApiToken } from '@/server/ops/api-tokens';
import { startOrderSystem, type OrderSystem } from '@/server/runtime/order-system';
import { STOREFRONT_SCOPES } from '@/shared/api-token-scopes';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { armSale, type ArmSaleInput } from './arm-sale';
import { endSale } from './end-sale';
import { pauseSale } from './pause-sale';
import { saleUnits } from './sale-figures';

const { db, url } = await createTestDatabase({ max: 20 });
let system: OrderSystem;
let token: string;

beforeAll(async () => {
  system = await startOrderSystem({
    db,
    url,
    pipeline: fastPipelineOptions,
    sales: { poolSize: 2, attemptsPerAddressPerSecond: 0, trustedProxies: [], queue: 1_000 },
  });
  ({ token } = await issueApiToken(db, { name: 'flash storefront', scopes: STOREFRONT_SCOPES }));
});
afterAll(() => system.stop());

async function liveSale(options: Partial<ArmSaleInput> & { stock?: number } = {}) {
  const sku = await createSku(db, { stock: options.stock ?? 20, priceCents: 9_900 });
  const sale = await armSale(db, {
    name: 'Singles Day',
    sku,
    units: 5,
    priceCents: 1_100,
    perBuyerLimit: 1,
    startsAt: new Date(Date.now() - 1_000),
    endsAt: new Date(Date.now() + 3_600_000),
    armedBy: 'test',
    ...options,
  });
  return { sku, sale };
}

type AttemptAnswer = { outcome: string; attemptId: string; reservationId?: string; paymentDeadline?: string; orderId?: string | null; duplicate?: boolean; error?: string; message?: string };

async function attempt(saleId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(`${system.url}/api/sales/${saleId}/attempts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as AttemptAnswer };
}

async function poll(saleId: string, attemptId: string) {
  const response = await fetch(`${system.url}/api/sales/${saleId}/attempts/${attemptId}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as AttemptAnswer };
}

/** The buyer's side: attempt, then poll until the order exists. */
async function buy(saleId: string, buyerId: string) {
  const attemptId = `att_${randomUUID()}`;
  const answer = await attempt(saleId, { buyerId, attemptId });
  expect(answer.body.outcome).toBe('admitted');
  const orderId = await eventually('the order of the admitted attempt', async () => (await poll(saleId, attemptId)).body.orderId ?? undefined);
  return { attemptId, orderId, answer: answer.body };
}

async function availableOf(sku: string) {
  const [row] = await db.select({ available: skus.available }).from(skus).where(eq(skus.sku, sku));
  return row!.available;
}

async function unitsOf(saleId: string) {
  return (await saleUnits(db, [saleId])).get(saleId)!;
}

describe('a flash sale end to end', () => {
  it('takes its units off normal stock when armed', async () => {
    const { sku, sale } = await liveSale({ stock: 20, units: 5 });
    expect(await availableOf(sku)).toBe(15);
    expect(await unitsOf(sale.id)).toMatchObject({ armed: 5, left: 5, reserved: 0, sold: 0 });
  });

  it('turns an admitted attempt into an order the buyer pays like any other', async () => {
    const { sale } = await liveSale();
    const { orderId, answer } = await buy(sale.id, 'buyer-pays');
    expect(answer).toMatchObject({ reservationId: expect.stringMatching(/^rsv_/), paymentDeadline: expect.any(String) });
    const order = await orderRow(db, orderId);
    expect(order).toMatchObject({ userId: 'buyer-pays', status: 'PENDING_PAYMENT', stockState: 'FROZEN', totalCents: 1_100 });
    expect(order.paymentDeadline.toISOString()).toBe(new Date(answer.paymentDeadline!).toISOString());
    expect(await unitsOf(sale.id)).toMatchObject({ left: 4, reserved: 1, sold: 0 });

    const paid = await postSignedJson(system.notifyUrl, paymentNotification(orderId, 1_100));
    expect(paid.status).toBe(200);
    expect(await orderRow(db, orderId)).toMatchObject({ status: 'PAID', stockState: 'SOLD' });
    expect(await unitsOf(sale.id)).toMatchObject({ left: 4, reserved: 0, sold: 1 });
  });

  it('gives an unpaid order’s unit back to the sale while it runs, for the next buyer', async () => {
    const { sku, sale } = await liveSale({ units: 1, paymentTimeoutMs: 1_000 });
    const { orderId } = await buy(sale.id, 'buyer-forgets');
    expect((await attempt(sale.id, { buyerId: 'buyer-late', attemptId: `att_${randomUUID()}` })).body.outcome).toBe('sold_out');
    await eventually('the unpaid order to close', async () => ((await orderRow(db, orderId)).status === 'CLOSED' ? true : undefined));
    expect(await unitsOf(sale.id)).toMatchObject({ left: 1, reserved: 0, returned: 1, returnedToStock: 0 });
    expect(await availableOf(sku)).toBe(19);
    await buy(sale.id, 'buyer-late');
  });

  it('returns what is left to normal stock when it ends, and an unpaid order’s unit after it ended', async () => {
    const { sku, sale } = await liveSale({ stock: 20, units: 5, paymentTimeoutMs: 1_500 });
    const { orderId } = await buy(sale.id, 'buyer-after-end');
    expect(await endSale(db, { saleId: sale.id, reason: 'manual' })).toMatchObject({ state: 'ended', unitsReturned: 4 });
    expect(await availableOf(sku)).toBe(19);
    expect((await attempt(sale.id, { buyerId: 'buyer-too-late', attemptId: `att_${randomUUID()}` })).body.outcome).toBe('not_live');
    // Ending again returns nothing twice.
    expect(await endSale(db, { saleId: sale.id, reason: 'manual' })).toMatchObject({ unitsReturned: 0 });
    await eventually('the unpaid order to close', async () => ((await orderRow(db, orderId)).status === 'CLOSED' ? true : undefined));
    expect(await availableOf(sku)).toBe(20);
    expect(await unitsOf(sale.id)).toMatchObject({ left: 0, reserved: 0, sold: 0, returnedToStock: 5 });
  });

  it('ends on its own at its end time and returns what is left', async () => {
    const { sku, sale } = await liveSale({ stock: 20, units: 5, endsAt: new Date(Date.now() + 1_500) });
    expect(await availableOf(sku)).toBe(15);
    await eventually('the sale to end at its end time', async () => ((await availableOf(sku)) === 20 ? true : undefined));
    const [ended] = await db.execute<{ state: string; end_reason: string }>(sql`select state, end_reason from sales where id = ${sale.id}`);
    expect(ended).toEqual({ state: 'ended', end_reason: 'time_up' });
  });

  it('ends as sold out once every unit is paid', async () => {
    const { sale } = await liveSale({ units: 2, perBuyerLimit: 2 });
    const first = await buy(sale.id, 'buyer-takes-all');
    const second = await buy(sale.id, 'buyer-takes-all');
    expect((await postSignedJson(system.notifyUrl, paymentNotification(first.orderId, 1_100))).status).toBe(200);
    const [stillLive] = await db.execute<{ state: string }>(sql`select state from sales where id = ${sale.id}`);
    expect(stillLive!.state).not.toBe('ended');
    expect((await postSignedJson(system.notifyUrl, paymentNotification(second.orderId, 1_100))).status).toBe(200);
    const ended = await eventually('the sale to end sold out', async () => {
      const [row] = await db.execute<{ state: string; end_reason: string | null }>(sql`select state, end_reason from sales where id = ${sale.id}`);
      return row!.state === 'ended' ? row : undefined;
    });
    expect(ended).toEqual({ state: 'ended', end_reason: 'sold_out' });
    expect(await unitsOf(sale.id)).toMatchObject({ left: 0, reserved: 0, sold: 2, returnedToStock: 0 });
  });

  it('answers not_live while paused', async () => {
    const { sale } = await liveSale();
    await pauseSale(db, { saleId: sale.id });
    expect((await attempt(sale.id, { buyerId: 'buyer-paused', attemptId: `att_${randomUUID()}` })).body).toMatchObject({ outcome: 'not_live' });
  });

  it('answers a retried attempt id with its first outcome and admits it once', async () => {
    const { sale } = await liveSale({ units: 3 });
    const attemptId = `att_${randomUUID()}`;
    const answers = await Promise.all([1, 2, 3].map(() => attempt(sale.id, { buyerId: 'buyer-retries', attemptId })));
    expect(answers.map((answer) => answer.body.outcome)).toEqual(['admitted', 'admitted', 'admitted']);
    expect(new Set(answers.map((answer) => answer.body.reservationId)).size).toBe(1);
    expect(await unitsOf(sale.id)).toMatchObject({ left: 2 });
    const later = await eventually('the order', async () => (await poll(sale.id, attemptId)).body.orderId ?? undefined);
    expect((await attempt(sale.id, { buyerId: 'buyer-retries', attemptId })).body).toMatchObject({ outcome: 'admitted', orderId: later, duplicate: true });
  });

  it('refuses what it cannot serve with a status and a sentence', async () => {
    const { sale } = await liveSale();
    const noToken = await fetch(`${system.url}/api/sales/${sale.id}/attempts`, { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(401);
    const malformed = await attempt(sale.id, { buyerId: '', attemptId: 'short' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/buyerId/);
    expect(malformed.body.message).toMatch(/attemptId: give 8 to 100/);
    const unknown = await attempt('sale_nope', { buyerId: 'b', attemptId: `att_${randomUUID()}` });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'not_found', message: 'Sale sale_nope does not exist.' } });
    const attemptId = `att_${randomUUID()}`;
    await attempt(sale.id, { buyerId: 'first-buyer', attemptId });
    const stolen = await attempt(sale.id, { buyerId: 'second-buyer', attemptId });
    expect(stolen.status).toBe(409);
    expect(stolen.body.message).toMatch(/already used by another buyer/);
    const neverSent = await poll(sale.id, `att_${randomUUID()}`);
    expect(neverSent.status).toBe(404);
  });
});

describe('the door', () => {
  let throttled: OrderSystem;
  beforeAll(async () => {
    throttled = await startOrderSystem({ db, url, pipeline: fastPipelineOptions, sales: { poolSize: 1, attemptsPerAddressPerSecond: 2, trustedProxies: [{ address: '127.0.0.1', prefixLength: 32 }], queue: 1_000 } });
  });
  afterAll(() => throttled.stop());

  it('throttles one client address with 429 and Retry-After, and lets other addresses through', async () => {
    const { sale } = await liveSale({ units: 10, perBuyerLimit: 10 });
    const from = (address: string) =>
      fetch(`${throttled.url}/api/sales/${sale.id}/attempts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': address },
        body: JSON.stringify({ buyerId: `buyer-${address}`, attemptId: `att_${randomUUID()}` }),
      });
    // Sent at once: the door counts them on arrival, before any of them is decided.
    const answers = await Promise.all(Array.from({ length: 8 }, () => from('203.0.113.7')));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(3);
    const refused = answers.find((answer) => answer.status === 429)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ outcome: 'throttled', message: expect.stringContaining('try again in 1 s') });
    expect((await from('198.51.100.9')).status).toBe(200);
  });

  it('answers throttled, deciding and recording nothing, once more attempts wait than it decides at once, and decides the same attempt sent again', async () => {
    const { sale } = await liveSale({ units: 100, stock: 100, perBuyerLimit: 1 });
    const crowded = await startOrderSystem({ db, url, pipeline: fastPipelineOptions, sales: { poolSize: 1, attemptsPerAddressPerSecond: 0, trustedProxies: [], queue: 1 } });
    try {
      const send = (attemptId: string) =>
        fetch(`${crowded.url}/api/sales/${sale.id}/attempts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify({ buyerId: `buyer-${attemptId}`, attemptId }),
        });
      const attemptIds = Array.from({ length: 40 }, () => `att_${randomUUID()}`);
      const answers = await Promise.all(attemptIds.map(send));
      const shed = attemptIds.filter((_, index) => answers[index]!.status === 429);
      const decided = answers.filter((answer) => answer.status === 200);
      expect(shed.length).toBeGreaterThan(0);
      expect(decided.length).toBeGreaterThan(0);
      expect(shed.length + decided.length).toBe(attemptIds.length);
      const refused = answers.find((answer) => answer.status === 429)!;
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ outcome: 'throttled', message: expect.stringMatching(/more attempts waiting.*try again in 1 s with the same attempt id/) });
      for (const answer of decided) expect(((await answer.json()) as AttemptAnswer).outcome).toBe('admitted');
      // Nothing of a shed attempt was kept: the buyer's poll finds none, the units are still the sale's, and sent again it is decided.
      expect((await poll(sale.id, shed[0]!)).status).toBe(404);
      expect((await saleUnits(db, [sale.id])).get(sale.id)!.left).toBe(100 - decided.length);
      const again = await send(shed[0]!);
      expect(again.status).toBe(200);
      expect(((await again.json()) as AttemptAnswer).outcome).toBe('admitted');
    } finally {
      await crowded.stop();
    }
  });
});
