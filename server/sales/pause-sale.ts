import { eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { sales } from '@/db/schema';
import { lockSale } from './sale';
import { nextSaleState, type SaleEvent } from './sale-state-machine';

async function moveSale(db: Executor, saleId: string, event: Extract<SaleEvent, 'pause' | 'resume' | 'start'>) {
  return db.transaction(async (tx) => {
    const sale = await lockSale(tx, saleId);
    const state = nextSaleState(sale, event, sale.now);
    await tx.update(sales).set({ state, updatedAt: sql`now()` }).where(eq(sales.id, saleId));
    return { saleId, state };
  });
}

/** Stops admitting: attempts are answered `not_live` until the sale is resumed. Admitted buyers keep their units. */
export function pauseSale(db: Executor, input: { saleId: string }) {
  return moveSale(db, input.saleId, 'pause');
}

/** Admits attempts again after a pause (refused once the end time has passed). */
export function resumeSale(db: Executor, input: { saleId: string }) {
  return moveSale(db, input.saleId, 'resume');
}

/**
 * The stored state catches up with the start time (SaleStartDue). Admission already reads the
 * clock, so this only keeps what the screen lists true; a sale paused or ended meanwhile stays so.
 */
export async function markSaleStarted(db: Executor, input: { saleId: string }) {
  return db.transaction(async (tx) => {
    const sale = await lockSale(tx, input.saleId);
    if (sale.state !== 'scheduled' || sale.now < sale.startsAt) return { saleId: sale.id, state: sale.state };
    await tx.update(sales).set({ state: 'live', updatedAt: sql`now()` }).where(eq(sales.id, sale.id));
    return { saleId: sale.id, state: 'live' as const };
  });
}
