import { eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { sales, type Sale } from '@/db/schema';
import { DomainError } from '@/server/errors';

/** Locks the sale row: every command that changes a sale's state or limit takes this lock first. */
export async function lockSale(tx: Executor, saleId: string): Promise<Sale & { now: Date }> {
  const [sale] = await tx
    .select({ sale: sales, now: sql<string>`now()` })
    .from(sales)
    .where(eq(sales.id, saleId))
    .for('update');
  if (!sale) throw new DomainError('NOT_FOUND', `Sale ${saleId} does not exist.`);
  // The database's clock, which the admission statement and the delayed events also use.
  return { ...sale.sale, now: new Date(sale.now) };
}
