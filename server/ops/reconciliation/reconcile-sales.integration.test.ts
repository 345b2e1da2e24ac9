import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { alerts } from '@/db/schema';
import { createSku } from '@/server/orders/test-fixtures';
import { armSale } from '@/server/sales/arm-sale';
import { createSaleAdmission } from '@/server/sales/decide-attempts';
import { createTestDatabase } from '@/test/database';
import { reconcileSales } from './reconcile-sales';
import { runReconciliation } from './reconcile-run';

const { db } = await createTestDatabase({ max: 4 });
const admission = createSaleAdmission(db, { poolSize: 1 });
const lookbackMs = 60 * 60_000;

async function saleWithAttempts() {
  const sku = await createSku(db, { stock: 50 });
  const sale = await armSale(db, { name: 'check', sku, units: 10, priceCents: 100, perBuyerLimit: 2, startsAt: new Date(Date.now() - 1_000), endsAt: new Date(Date.now() + 3_600_000), armedBy: 'test' });
  for (const buyer of ['a', 'b', 'b', 'c']) await admission.decide({ saleId: sale.id, attemptId: `att_${randomUUID()}`, buyerId: buyer });
  return sale;
}

const alertsOf = (saleId: string) => db.select().from(alerts).where(eq(alerts.dedupeKey, `reconciliation.sales:${saleId}`));

describe('the flash-sale check of reconciliation', () => {
  it('finds nothing when every unit armed is left, reserved, sold or back in stock', async () => {
    const sale = await saleWithAttempts();
    expect((await reconcileSales(db, { lookbackMs })).filter((difference) => difference.saleId === sale.id)).toEqual([]);
    expect(await alertsOf(sale.id)).toEqual([]);
  });

  it('raises an alert when units appear or vanish', async () => {
    const sale = await saleWithAttempts();
    await db.execute(sql`update sale_shards set units_left = units_left + 1 where sale_id = ${sale.id} and shard = 0`);
    const found = (await reconcileSales(db, { lookbackMs })).filter((difference) => difference.saleId === sale.id);
    expect(found).toEqual([expect.objectContaining({ kind: 'sale_units_mismatch', summary: expect.stringContaining('but 10 were armed') })]);
    const [alert] = await alertsOf(sale.id);
    expect(alert).toMatchObject({ kind: 'reconciliation.sales', severity: 'critical', status: 'open' });
  });

  it('raises an alert for a buyer admitted above the limit, and counts both in a reconciliation run', async () => {
    const sale = await saleWithAttempts();
    await db.execute(sql`
      insert into sale_attempts (sale_id, attempt_id, buyer_id, outcome, shard, reservation_id, payment_deadline)
      values (${sale.id}, 'forged-attempt', 'b', 'admitted', 0, 'rsv_forged', now())`);
    await db.execute(sql`update sale_shards set units_left = units_left - 1 where sale_id = ${sale.id} and shard = (select shard from sale_shards where sale_id = ${sale.id} order by units_left desc limit 1)`);
    const found = (await reconcileSales(db, { lookbackMs })).filter((difference) => difference.saleId === sale.id);
    expect(found).toEqual([expect.objectContaining({ kind: 'sale_buyer_over_limit', details: { buyerId: 'b', admitted: 3, limit: 2 } })]);
    const run = await runReconciliation(db, { trigger: 'manual', startedBy: 'test', settings: { settleMs: 0, lookbackMs } });
    expect(run.counts!.byKind).toMatchObject({ sale_buyer_over_limit: 1, sale_units_mismatch: 1 });
  });
});
