import { eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { sales } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { lockSale } from './sale';

/**
 * Changes how many units one buyer may be admitted. Lowering it admits nobody further above
 * the new limit and takes nothing back from buyers already admitted more.
 */
export async function changeBuyerLimit(db: Executor, input: { saleId: string; perBuyerLimit: number }) {
  return db.transaction(async (tx) => {
    const sale = await lockSale(tx, input.saleId);
    if (sale.state === 'ended') throw new DomainError('CONFLICT', 'The sale has ended: its limit can no longer change.');
    await tx
      .update(sales)
      .set({ perBuyerLimit: input.perBuyerLimit, highestBuyerLimit: sql`greatest(${sales.highestBuyerLimit}, ${input.perBuyerLimit})`, updatedAt: sql`now()` })
      .where(eq(sales.id, sale.id));
    return { saleId: sale.id, perBuyerLimit: input.perBuyerLimit };
  });
}
