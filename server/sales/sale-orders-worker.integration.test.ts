import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createSku } from '@/server/orders/test-fixtures';
import { createTestDatabase } from '@/test/database';
import { waitFor } from '@/test/wait-for';
import { armSale } from './arm-sale';
import { createSaleAdmission } from './decide-attempts';
import { killProcess, startWorkerProcess, stopProcess, type ConveyorProcess } from './test-support/processes';

const { db, url } = await createTestDatabase({ max: 4 });
const running: ConveyorProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map(stopProcess));
});

const ORDERS_PER_SECOND = 10;
const worker = async () => {
  const started = await startWorkerProcess({ DATABASE_URL: url, SALE_ORDERS_PER_SECOND: String(ORDERS_PER_SECOND) });
  running.push(started);
  return started;
};

async function orderCounts(saleId: string) {
  const [row] = await db.execute<{ withOrder: number; orders: number; admitted: number }>(sql`
    select count(*) filter (where a.order_id is not null)::int as "withOrder",
           (select count(*) from orders o join order_items i on i.order_id = o.id join sales s on s.sku = i.sku where s.id = ${saleId})::int as orders,
           count(*)::int as admitted
    from sale_attempts a where a.sale_id = ${saleId} and a.outcome = 'admitted'`);
  return row!;
}

describe('the order-creating worker', () => {
  it('turns every admitted attempt into exactly one order, at the capped rate, even when killed with SIGKILL mid-way', async () => {
    const sku = await createSku(db, { stock: 100, priceCents: 4_000 });
    const sale = await armSale(db, { name: 'kill test', sku, units: 40, priceCents: 1_000, perBuyerLimit: 1, startsAt: new Date(Date.now() - 1_000), endsAt: new Date(Date.now() + 3_600_000), armedBy: 'test' });
    const admission = createSaleAdmission(db, { poolSize: 2 });
    const decisions = await Promise.all(Array.from({ length: 40 }, (_, buyer) => admission.decide({ saleId: sale.id, attemptId: `att_${randomUUID()}`, buyerId: `buyer-${buyer}` })));
    expect(decisions.every((decision) => decision.outcome === 'admitted')).toBe(true);

    const victim = await worker();
    await waitFor(async () => (await orderCounts(sale.id)).withOrder >= 5, { what: 'the first orders', timeoutMs: 20_000 });
    await killProcess(victim);
    const atKill = await orderCounts(sale.id);
    expect(atKill.withOrder).toBeLessThan(40);

    await worker();
    // The survivor takes the sale's partition once the victim's lease runs out.
    await waitFor(async () => (await orderCounts(sale.id)).withOrder === 40, { what: 'an order for every admitted attempt', timeoutMs: 45_000, intervalMs: 200 });
    expect(await orderCounts(sale.id)).toEqual({ withOrder: 40, orders: 40, admitted: 40 });

    // Peak shaving: never more orders in a second than the cap (one batch of slack for a second's edge).
    const perSecond = await db.execute<{ n: number }>(sql`
      select count(*)::int as n from sale_attempts where sale_id = ${sale.id} and order_created_at is not null
      group by date_trunc('second', order_created_at)`);
    expect(Math.max(...perSecond.map((row) => row.n))).toBeLessThanOrEqual(ORDERS_PER_SECOND + 1);
  }, 90_000);
});
