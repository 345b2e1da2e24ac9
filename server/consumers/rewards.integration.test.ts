import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { coupons, pointsLedger, salesHourly } from '@/db/schema';
import { orderEventSchemas, type OrderEventPayload, type OrderEventType } from '@/server/orders/events';
import type { ConsumerDefinition, PipelineEvent } from '@/server/pipeline';
import { createTestDatabase } from '@/test/database';
import { analyticsConsumer } from './analytics';
import { couponsConsumer } from './coupons';
import { pointsConsumer } from './points';

const { db } = await createTestDatabase();
let nextEventId = 1;

function event<T extends OrderEventType>(type: T, payload: OrderEventPayload<T>): PipelineEvent {
  orderEventSchemas[type].parse(payload);
  return { id: String(nextEventId++), topic: 'orders', key: payload.orderId, type, payload, headers: {}, createdAt: new Date(), partition: 0, offset: nextEventId };
}

function sale(orderId: string, sku: string) {
  const items = [{ sku, quantity: 2, unitPriceCents: 1_000 }];
  const paidAt = '2030-01-01T10:15:00.000Z';
  return {
    paid: event('OrderPaid', { orderId, userId: 'u1', contactPhone: '+1555', paymentId: `pay_${orderId}`, amountCents: 2_000, items, paidAt }),
    paidAgain: event('OrderPaid', { orderId, userId: 'u1', contactPhone: '+1555', paymentId: `pay_${orderId}`, amountCents: 2_000, items, paidAt }),
    refunded: event('RefundSucceeded', { orderId, refundId: `rfd_${orderId}`, userId: 'u1', contactPhone: '+1555', amountCents: 2_000, reversesSale: true, items, refundedAt: '2030-01-01T11:00:00.000Z' }),
  };
}

const rewardGroups: ConsumerDefinition[] = [pointsConsumer, couponsConsumer, analyticsConsumer];

async function deliver(events: PipelineEvent[], mode: 'batch' | 'one by one') {
  for (const consumer of rewardGroups) {
    await db.transaction(async (tx) => {
      const context = { tx, group: consumer.group, attempt: 1 };
      if (mode === 'batch') await consumer.handleBatch!(events, context);
      else for (const delivered of events) await consumer.handler(delivered, context);
    });
  }
}

async function rewardsOf(orderId: string, sku: string) {
  const ledger = await db.select({ entry: pointsLedger.entry, points: pointsLedger.points }).from(pointsLedger).where(eq(pointsLedger.orderId, orderId)).orderBy(pointsLedger.entry);
  const [coupon] = await db.select().from(coupons).where(eq(coupons.orderId, orderId));
  const sales = await db.select().from(salesHourly).where(eq(salesHourly.sku, sku)).orderBy(salesHourly.hour);
  const [salesOfDays] = await db.execute<{ ordersPaid: number; gmvCents: number; refunds: number; refundedCents: number }>(sql`
    select coalesce(sum(orders_paid), 0)::int as "ordersPaid", coalesce(sum(gmv_cents), 0)::int as "gmvCents",
           coalesce(sum(refunds), 0)::int as refunds, coalesce(sum(refunded_cents), 0)::int as "refundedCents"
    from sales_daily where sku = ${sku}`);
  return { ledger, issued: Boolean(coupon?.issuedAt), revoked: Boolean(coupon?.revokedAt), sales: sales.map(({ hour: _hour, sku: _sku, ...counts }) => counts), salesOfDays };
}

const expected = {
  ledger: [
    { entry: 'credit', points: 20 },
    { entry: 'reversal', points: -20 },
  ],
  issued: true,
  revoked: true,
  sales: [
    { ordersPaid: 1, unitsSold: 2, gmvCents: 2_000, refunds: 0, refundedCents: 0 },
    { ordersPaid: 0, unitsSold: 0, gmvCents: 0, refunds: 1, refundedCents: 2_000 },
  ],
  // The report's daily rollup counts each fact once too.
  salesOfDays: { ordersPaid: 1, gmvCents: 2_000, refunds: 1, refundedCents: 2_000 },
};

describe('points, coupons and sales projection', () => {
  for (const mode of ['batch', 'one by one'] as const) {
    it(`credit, issue and count a sale once and reverse it once, whatever the duplicates (${mode})`, async () => {
      const { paid, paidAgain, refunded } = sale(`ord_${mode}`, `SKU-${mode}`);
      await deliver([paid, paidAgain, refunded], mode);
      await deliver([paid, refunded], mode);
      expect(await rewardsOf(`ord_${mode}`, `SKU-${mode}`)).toEqual(expected);
    });
  }

  it('ends in the same state when the refund overtakes the payment', async () => {
    const { paid, refunded } = sale('ord_overtaken', 'SKU-overtaken');
    await deliver([refunded], 'one by one');
    await deliver([paid], 'one by one');
    expect(await rewardsOf('ord_overtaken', 'SKU-overtaken')).toEqual(expected);
  });
});
