import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { addSales, type SaleLine } from '@/server/consumers/analytics';
import { createOrder } from '@/server/orders/create-order';
import { recordPayment } from '@/server/orders/record-payment';
import { createSku } from '@/server/orders/test-fixtures';
import { createTestDatabase } from '@/test/database';
import { salesBySku, salesOverTime } from './sales-report';

const { db } = await createTestDatabase();
// A role that may read the projection and nothing else: a report that touched the order tables would be refused.
const reader = `reports_reader_${randomBytes(4).toString('hex')}`;
await db.execute(sql.raw(`create role ${reader}; grant usage on schema public to ${reader}; grant select on sales_hourly, sales_hourly_totals, sales_daily to ${reader}`));
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

    const at = (hours: number, minutes = 10) => new Date(hoursAgo(hours).getTime() + minutes * 60_000).toISOString();
    const paid = (hours: number, sku: string, units: number, cents: number): SaleLine => ({ at: at(hours), fact: 'paid', sku, units, cents });
    await addSales(db, [
      paid(0, 'SKU-A', 1, 1_500), paid(0, 'SKU-A', 1, 1_500), paid(0, 'SKU-A', 2, 3_000),
      { at: at(0, 20), fact: 'refunded', sku: 'SKU-A', units: 1, cents: 1_500 },
      paid(0, 'SKU-B', 1, 2_500),
      paid(2, 'SKU-A', 1, 1_500), paid(2, 'SKU-A', 1, 1_500),
      // Outside a 3-hour report.
      paid(5, 'SKU-A', 7, 10_500),
    ]);

    const report = await asReportsReader((tx) => salesOverTime(tx, { hours: 3 }));
    expect(report).toEqual([
      { hour: hoursAgo(2).toISOString().replace('.000Z', 'Z'), ordersPaid: 2, unitsSold: 2, gmvCents: 3_000, refunds: 0, refundedCents: 0, refundRate: 0 },
      { hour: hoursAgo(0).toISOString().replace('.000Z', 'Z'), ordersPaid: 4, unitsSold: 5, gmvCents: 8_500, refunds: 1, refundedCents: 1_500, refundRate: 0.25 },
    ]);
  });

  it('ranks SKUs over a window that starts mid-day exactly as summing every hour of it would', async () => {
    const lines: SaleLine[] = [];
    for (let hours = 0; hours < 40 * 24; hours += 7) {
      for (const [index, sku] of ['RANK-A', 'RANK-B', 'RANK-C'].entries()) {
        lines.push({ at: new Date(hoursAgo(hours).getTime() + 60_000).toISOString(), fact: hours % 5 === 0 ? 'refunded' : 'paid', sku, units: 1 + index, cents: (hours % 13) * 100 + index * 7_000 });
      }
    }
    await addSales(db, lines);

    for (const hours of [3, 30, 24 * 7 + 5, 720]) {
      const everyHour = await db.execute(sql`
        select sku, sum(orders_paid)::int as "ordersPaid", sum(units_sold)::int as "unitsSold", sum(gmv_cents)::float8 as "gmvCents",
               sum(refunds)::int as refunds, sum(refunded_cents)::float8 as "refundedCents"
          from sales_hourly where sku like 'RANK-%' and hour >= date_trunc('hour', now()) - ${hours - 1} * interval '1 hour'
         group by sku order by sum(gmv_cents) desc`);
      const ranked = await asReportsReader((tx) => salesBySku(tx, { hours, limit: 50 }));
      expect(ranked.filter((row) => row.sku.startsWith('RANK-')).map(({ refundRate: _, ...row }) => row)).toEqual(everyHour);
    }
  });

  it('cannot read the order tables as the reports reader, so the proof above holds', async () => {
    await expect(asReportsReader((tx) => tx.execute(sql`select count(*) from orders`))).rejects.toMatchObject({ cause: { code: '42501' } });
  });
});
