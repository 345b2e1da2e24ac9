import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { salesHourly } from '@/db/schema';
import { createOrder } from '@/server/orders/create-order';
import { recordPayment } from '@/server/orders/record-payment';
import { createSku } from '@/server/orders/test-fixtures';
import { createTestDatabase } from '@/test/database';
import { salesOverTime } from './sales-report';

const { db } = await createTestDatabase();
// A role that may read the projection and nothing else: a report that touched the order tables would be refused.
const reader = `reports_reader_${randomBytes(4).toString('hex')}`;
await db.execute(sql.raw(`create role ${reader}; grant usage on schema public to ${reader}; grant select on sales_hourly to ${reader}`));
afterAll(() => db.execute(sql.raw(`drop owned by ${reader}; drop role ${reader}`)));

const hoursAgo = (hours: number) => {
  const hour = new Date();
  hour.setUTCMinutes(0, 0, 0);
  return new Date(hour.getTime() - hours * 3_600_000);
};
const asReportsReader = <T>(read: (tx: Parameters<Parameters<typeof db.transaction>[0]>[0]) => Promise<T>) =>
  db.transaction(async (tx) => {
    await tx.execute(sql.raw(`set local role ${reader}`));
    return read(tx);
  });

describe('sales report', () => {
  it('returns orders, GMV and refunds per hour from the analytics projection only', async () => {
    // A paid order the analytics consumer has not projected (no pipeline runs here): the report must not see it.
    const sku = await createSku(db, { stock: 5, priceCents: 9_999 });
    const order = await createOrder(db, { userId: 'report-user', items: [{ sku, quantity: 1 }] });
    await recordPayment(db, { paymentId: `pay_${order.orderId}`, orderId: order.orderId, amountCents: order.totalCents, paidAt: new Date() });

    await db.insert(salesHourly).values([
      { hour: hoursAgo(0), sku: 'SKU-A', ordersPaid: 3, unitsSold: 4, gmvCents: 6_000, refunds: 1, refundedCents: 1_500 },
      { hour: hoursAgo(0), sku: 'SKU-B', ordersPaid: 1, unitsSold: 1, gmvCents: 2_500, refunds: 0, refundedCents: 0 },
      { hour: hoursAgo(2), sku: 'SKU-A', ordersPaid: 2, unitsSold: 2, gmvCents: 3_000, refunds: 0, refundedCents: 0 },
      // Outside a 3-hour report.
      { hour: hoursAgo(5), sku: 'SKU-A', ordersPaid: 7, unitsSold: 7, gmvCents: 10_500, refunds: 0, refundedCents: 0 },
    ]);

    const report = await asReportsReader((tx) => salesOverTime(tx, { hours: 3 }));
    expect(report).toEqual([
      { hour: hoursAgo(2).toISOString().replace('.000Z', 'Z'), ordersPaid: 2, unitsSold: 2, gmvCents: 3_000, refunds: 0, refundedCents: 0, refundRate: 0 },
      { hour: hoursAgo(0).toISOString().replace('.000Z', 'Z'), ordersPaid: 4, unitsSold: 5, gmvCents: 8_500, refunds: 1, refundedCents: 1_500, refundRate: 0.25 },
    ]);
  });

  it('cannot read the order tables as the reports reader, so the proof above holds', async () => {
    await expect(asReportsReader((tx) => tx.execute(sql`select count(*) from orders`))).rejects.toMatchObject({ cause: { code: '42501' } });
  });
});
