import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createSku } from '@/server/orders/test-fixtures';
import { createTestDatabase } from '@/test/database';
import { waitFor } from '@/test/wait-for';
import { armSale } from './arm-sale';
import { createSaleAdmission } from './decide-attempts';
import { saleEventSchemas } from './events';
import { pauseSale, resumeSale } from './pause-sale';

const { db } = await createTestDatabase({ max: 4 });
const admission = createSaleAdmission(db, { poolSize: 2 });

async function liveSale(units: number, perBuyerLimit = 1) {
  const sku = await createSku(db, { stock: units + 10, priceCents: 5_000 });
  const sale = await armSale(db, {
    name: 'Singles Day',
    sku,
    units,
    priceCents: 999,
    perBuyerLimit,
    startsAt: new Date(Date.now() - 1_000),
    endsAt: new Date(Date.now() + 3_600_000),
    armedBy: 'test',
  });
  return { sku, sale };
}

const attempt = (saleId: string, buyerId: string, attemptId = `att_${randomUUID()}`) => admission.decide({ saleId, attemptId, buyerId });

describe('admission', () => {
  it('admits no more units than armed however many attempts arrive together, and answers the rest sold_out', async () => {
    const { sale } = await liveSale(25);
    const decisions = await Promise.all(Array.from({ length: 200 }, (_, buyer) => attempt(sale.id, `buyer-${buyer}`)));
    expect(decisions.filter((d) => d.outcome === 'admitted')).toHaveLength(25);
    expect(decisions.filter((d) => d.outcome === 'sold_out')).toHaveLength(175);
    const [left] = await db.execute<{ units: number }>(sql`select sum(units_left)::int as units from sale_shards where sale_id = ${sale.id}`);
    expect(left!.units).toBe(0);
    const events = await db.execute<{ payload: unknown }>(sql`select payload from outbox where key = ${sale.id} and type = 'SaleAttemptAdmitted'`);
    expect(events).toHaveLength(25);
    for (const event of events) expect(() => saleEventSchemas.SaleAttemptAdmitted.parse(event.payload)).not.toThrow();
  });

  it('holds each buyer to the limit, also within one batch', async () => {
    const { sale } = await liveSale(50, 2);
    const decisions = await Promise.all(Array.from({ length: 10 }, () => attempt(sale.id, 'greedy')));
    expect(decisions.filter((d) => d.outcome === 'admitted')).toHaveLength(2);
    expect(decisions.filter((d) => d.outcome === 'limit_reached')).toHaveLength(8);
    expect((await attempt(sale.id, 'greedy')).outcome).toBe('limit_reached');
  });

  it('answers a repeated attempt id with its first outcome, and changes nothing', async () => {
    const { sale } = await liveSale(1);
    const first = await attempt(sale.id, 'alice', 'att-alice-1');
    expect(first).toMatchObject({ outcome: 'admitted', duplicate: false });
    const again = await attempt(sale.id, 'alice', 'att-alice-1');
    expect(again).toMatchObject({ outcome: 'admitted', duplicate: true, reservationId: (first as { reservationId: string }).reservationId });
    expect((await attempt(sale.id, 'bob', 'att-bob-1')).outcome).toBe('sold_out');
    expect((await attempt(sale.id, 'bob', 'att-bob-1')).outcome).toBe('sold_out');
    await expect(attempt(sale.id, 'mallory', 'att-alice-1')).rejects.toThrow('already used by another buyer');
  });

  it('answers not_live while paused, and admits again once resumed', async () => {
    const { sale } = await liveSale(5);
    await pauseSale(db, { saleId: sale.id });
    expect((await attempt(sale.id, 'carol')).outcome).toBe('not_live');
    await resumeSale(db, { saleId: sale.id });
    expect((await attempt(sale.id, 'carol')).outcome).toBe('admitted');
  });

  it('decides an attempt that keeps meeting shards held elsewhere by waiting for them, rather than answering 503', async () => {
    const { sale } = await liveSale(3);
    // Another statement holds every shard with units left, as another order-API process's may round after round at a sale's end.
    const holder = await db.$client.reserve();
    try {
      await holder`begin`;
      await holder`select shard from sale_shards where sale_id = ${sale.id} and units_left > 0 for update`;
      const outcome = attempt(sale.id, 'erin').then(
        (decision) => decision.outcome,
        (error: unknown) => String(error),
      );
      const waitingForShards = async () => {
        const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity where application_name = 'conveyor-sale' and wait_event_type = 'Lock'`);
        return row!.n > 0;
      };
      await waitFor(async () => (await waitingForShards()) || (await Promise.race([outcome, Promise.resolve(null)])) !== null, { what: 'the attempt waiting for the held shards', timeoutMs: 10_000, intervalMs: 20 });
      await holder`commit`;
      expect(await outcome).toBe('admitted');
    } finally {
      holder.release();
    }
  });

  it('refuses an unknown sale with 404', async () => {
    await expect(attempt('sale_missing', 'dave')).rejects.toThrow('Sale sale_missing does not exist.');
  });
});
