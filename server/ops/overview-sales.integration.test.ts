import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSku } from '@/server/orders/test-fixtures';
import { armSale } from '@/server/sales/arm-sale';
import { createSaleAdmission } from '@/server/sales/decide-attempts';
import { endSale } from '@/server/sales/end-sale';
import { markSaleStarted, pauseSale } from '@/server/sales/pause-sale';
import { createCaller } from '@/server/trpc/root';
import { createTestDatabase } from '@/test/database';

const { db } = await createTestDatabase({ max: 4 });
const viewer = createCaller({ db, actor: { id: 'viewer-1', email: 'viewer@overview-sales.test', role: 'viewer' } });
const saleTiles = async () => (await viewer.overview.get()).tiles.filter((tile) => tile.key.startsWith('sale-'));

async function startedSale(units: number) {
  const sku = await createSku(db, { stock: units, priceCents: 5_000 });
  const sale = await armSale(db, {
    name: `Overview sale ${randomUUID().slice(0, 6)}`,
    sku,
    units,
    priceCents: 999,
    perBuyerLimit: 1,
    startsAt: new Date(Date.now() - 1_000),
    endsAt: new Date(Date.now() + 3_600_000),
    armedBy: 'test',
  });
  await markSaleStarted(db, { saleId: sale.id });
  return sale;
}

describe('the Overview during a flash sale', () => {
  it('shows no sale tile while no sale is live', async () => {
    expect(await saleTiles()).toEqual([]);
  });

  it('shows a live sale with its units left, linking to its page, and drops it once the sale is paused or ended', async () => {
    const sale = await startedSale(5);
    const admission = createSaleAdmission(db, { poolSize: 1 });
    const decisions = await Promise.all(['a', 'b'].map((buyer) => admission.decide({ saleId: sale.id, attemptId: `att_${randomUUID()}`, buyerId: `overview-${buyer}` })));
    expect(decisions.map((decision) => decision.outcome)).toEqual(['admitted', 'admitted']);

    const [tile] = await saleTiles();
    expect(tile).toMatchObject({ key: `sale-${sale.id}`, label: `Flash sale live: ${sale.name}`, value: 3, href: `/sales/${encodeURIComponent(sale.id)}`, status: 'info' });
    expect(tile!.detail).toContain('of 5');
    expect(tile!.series).toHaveLength(60);

    await pauseSale(db, { saleId: sale.id });
    expect(await saleTiles()).toEqual([]);
    await endSale(db, { saleId: sale.id, reason: 'manual' });
    expect(await saleTiles()).toEqual([]);
  });
});
