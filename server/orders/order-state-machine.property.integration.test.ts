import { eq, inArray, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderStatus } from '@/db/schema';
import { orders, refunds } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { closeUnpaidOrder, cancelOrder } from './close-order';
import { createOrder } from './create-order';
import { checkOrderInvariants } from './order-invariants';
import { INITIAL_STATUS, LEGAL_TRANSITIONS } from './order-state-machine';
import { recordPayment } from './record-payment';
import { requestRefund } from './request-refund';
import { completeRefund, failRefund } from './settle-refund';
import { restockSold } from './stock';
import { createSku } from './test-fixtures';
import { createTestDatabase } from '@/test/database';

const { db } = await createTestDatabase({ max: 12 });

/** Where an order's units may be, given its status. */
const LEGAL_STOCK: Record<string, readonly string[]> = {
  PENDING_PAYMENT: ['FROZEN'],
  PAID: ['SOLD'],
  CLOSED: ['RELEASED'],
  REFUNDING: ['SOLD', 'RESTOCKED', 'RELEASED'],
  REFUNDED: ['SOLD', 'RESTOCKED', 'RELEASED'],
  REFUND_FAILED: ['SOLD', 'RESTOCKED', 'RELEASED'],
};

type Command =
  | { kind: 'create'; quantity: number; expired: boolean }
  | { kind: 'notify'; order: number; copies: number; payment: number; wrongAmount: boolean }
  | { kind: 'cancel'; order: number }
  | { kind: 'timeout'; order: number }
  | { kind: 'refund'; order: number }
  | { kind: 'providerAnswer'; order: number; ok: boolean }
  | { kind: 'restock'; order: number };

const orderIndex = fc.nat({ max: 5 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('create' as const), quantity: fc.integer({ min: 1, max: 4 }), expired: fc.boolean() }), weight: 3 },
  {
    arbitrary: fc.record({ kind: fc.constant('notify' as const), order: orderIndex, copies: fc.integer({ min: 1, max: 5 }), payment: fc.nat({ max: 1 }), wrongAmount: fc.boolean() }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('cancel' as const), order: orderIndex }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('timeout' as const), order: orderIndex }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('refund' as const), order: orderIndex }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('providerAnswer' as const), order: orderIndex, ok: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('restock' as const), order: orderIndex }), weight: 1 },
);

/** A refused command (a DomainError) is an allowed answer; anything else escapes and fails the run. */
async function refusedOr<T>(run: () => Promise<T>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
  }
}

async function snapshot(ids: string[]) {
  if (ids.length === 0) return new Map<string, { status: OrderStatus; stockState: string }>();
  const rows = await db.select({ id: orders.id, status: orders.status, stockState: orders.stockState }).from(orders).where(inArray(orders.id, ids));
  return new Map(rows.map((row) => [row.id, row]));
}

async function runSequence(commands: Command[]) {
  const sku = await createSku(db, { stock: 8, priceCents: 700 });
  const ids: string[] = [];
  const totals = new Map<string, number>();
  let before = await snapshot(ids);

  for (const step of commands) {
    const orderId = 'order' in step ? ids[step.order % Math.max(ids.length, 1)] : undefined;
    switch (step.kind) {
      case 'create':
        await refusedOr(async () => {
          // An expired order has a deadline already past, so a timeout may close it.
          const created = await createOrder(db, { userId: 'pbt', items: [{ sku, quantity: step.quantity }], paymentTimeoutMs: step.expired ? 1 : 3_600_000 });
          ids.push(created.orderId);
          totals.set(created.orderId, created.totalCents);
        });
        break;
      case 'notify':
        if (!orderId) break;
        // Duplicates arrive concurrently, as a provider redelivering does.
        await Promise.all(
          Array.from({ length: step.copies }, () =>
            refusedOr(() =>
              recordPayment(db, {
                paymentId: `pay_${orderId}_${step.payment}`,
                orderId,
                amountCents: totals.get(orderId)! + (step.wrongAmount ? 1 : 0),
                paidAt: new Date(),
              }),
            ),
          ),
        );
        break;
      case 'cancel':
        if (orderId) await refusedOr(() => cancelOrder(db, { orderId, reason: 'pbt' }));
        break;
      case 'timeout':
        if (orderId) await refusedOr(() => db.transaction((tx) => closeUnpaidOrder(tx, orderId)));
        break;
      case 'refund':
        if (orderId) await refusedOr(() => requestRefund(db, { orderId, reason: 'pbt' }));
        break;
      case 'providerAnswer': {
        if (!orderId) break;
        const [pending] = await db.select({ id: refunds.id }).from(refunds).where(sql`${refunds.orderId} = ${orderId} and ${refunds.status} = 'PENDING'`).limit(1);
        if (!pending) break;
        await refusedOr(() =>
          db.transaction((tx) => (step.ok ? completeRefund(tx, pending.id, 1) : failRefund(tx, pending.id, { attempts: 1, error: 'provider refused' }))),
        );
        break;
      }
      case 'restock':
        // The fulfilment compensation: only ever run for an order being refunded.
        if (orderId && before.get(orderId)?.status === 'REFUNDING') await db.transaction((tx) => restockSold(tx, orderId));
        break;
    }

    const after = await snapshot(ids);
    for (const [id, now] of after) {
      const was = before.get(id);
      if (was && was.status !== now.status) {
        expect(LEGAL_TRANSITIONS[was.status], `${id}: ${was.status} → ${now.status} after ${JSON.stringify(step)}`).toContain(now.status);
      }
      if (!was) expect(now.status).toBe(INITIAL_STATUS);
      expect(LEGAL_STOCK[now.status], `${id} is ${now.status} with stock ${now.stockState}`).toContain(now.stockState);
    }
    before = after;
  }

  const paidEvents = await db.execute<{ key: string; count: number }>(sql`
    select key, count(*)::int as count from (select key, type from outbox union all select key, type from events) appended
    where type = 'OrderPaid' and key in ${ids.length ? ids : ['none']} group by key having count(*) > 1`);
  expect(paidEvents, 'an order paid twice').toEqual([]);
  const broken = (await checkOrderInvariants(db)).filter(
    (violation) =>
      violation.invariant.startsWith('stock is conserved') ||
      violation.invariant.startsWith('refunds never exceed'),
  );
  expect(broken).toEqual([]);
  const [refundedWithoutSuccess] = await db.execute<{ count: number }>(sql`
    select count(*)::int as count from orders o where o.id in ${ids.length ? ids : ['none']} and o.status = 'REFUNDED'
      and not exists (select 1 from refunds r where r.order_id = o.id and r.kind = 'order' and r.status = 'SUCCEEDED')`);
  expect(refundedWithoutSuccess!.count).toBe(0);
  if (ids.length) await db.update(orders).set({ userId: 'pbt-done' }).where(eq(orders.userId, 'pbt'));
}

describe('order state machine under random command sequences', () => {
  it('never reaches an illegal state, pays at most once and conserves stock', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), (commands) => runSequence(commands)),
      { numRuns: 60, interruptAfterTimeLimit: 90_000, markInterruptAsFailure: false },
    );
  });
});
