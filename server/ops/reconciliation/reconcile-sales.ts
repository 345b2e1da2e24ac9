import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { saleUnits, type SaleUnits } from '@/server/sales/sale-figures';
import { raiseAlert } from '../raise-alert';

export const SALE_DIFF_KINDS = {
  sale_units_mismatch: 'A sale’s units sold + reserved + left + returned to stock differ from the units armed',
  sale_buyer_over_limit: 'A buyer was admitted more units than the sale’s limit ever allowed',
} as const;

export interface SaleDifference {
  kind: keyof typeof SALE_DIFF_KINDS;
  saleId: string;
  summary: string;
  details: Record<string, unknown>;
}

/**
 * Flash sales against their own ledger: every unit armed is left in the shards, reserved
 * (admitted, its order unpaid or not yet created), sold, or back in normal stock; and no buyer
 * holds more admitted units than the highest limit the sale had. Checks the sales not ended and
 * those ended within `lookbackMs`; raises one alert per sale that differs.
 */
export async function reconcileSales(db: Executor, input: { lookbackMs: number }): Promise<SaleDifference[]> {
  const recent = await db.execute<{ id: string; highestBuyerLimit: number }>(sql`
    select id, highest_buyer_limit as "highestBuyerLimit" from sales
    where state <> 'ended' or ended_at >= now() - ${input.lookbackMs} * interval '1 millisecond'`);
  if (recent.length === 0) return [];
  const units = await saleUnits(db, recent.map((sale) => sale.id));
  const overLimit = await db.execute<{ saleId: string; buyerId: string; admitted: number; limit: number }>(sql`
    select a.sale_id as "saleId", a.buyer_id as "buyerId", count(*)::int as admitted, s.highest_buyer_limit as limit
    from sale_attempts a join sales s on s.id = a.sale_id
    where a.sale_id in ${recent.map((sale) => sale.id)} and a.outcome = 'admitted'
    group by a.sale_id, a.buyer_id, s.highest_buyer_limit
    having count(*) > s.highest_buyer_limit
    limit 100`);

  const differences: SaleDifference[] = [];
  for (const sale of recent) {
    const counted: SaleUnits = units.get(sale.id)!;
    const accounted = counted.left + counted.reserved + counted.sold + counted.returnedToStock;
    if (accounted !== counted.armed) {
      differences.push({
        kind: 'sale_units_mismatch',
        saleId: sale.id,
        summary: `Sale ${sale.id}: left ${counted.left} + reserved ${counted.reserved} + sold ${counted.sold} + returned to stock ${counted.returnedToStock} = ${accounted}, but ${counted.armed} were armed.`,
        details: { ...counted, accounted },
      });
    }
  }
  for (const buyer of overLimit) {
    differences.push({
      kind: 'sale_buyer_over_limit',
      saleId: buyer.saleId,
      summary: `Sale ${buyer.saleId}: buyer ${buyer.buyerId} was admitted ${buyer.admitted} units; the limit was at most ${buyer.limit}.`,
      details: { buyerId: buyer.buyerId, admitted: buyer.admitted, limit: buyer.limit },
    });
  }
  for (const saleId of new Set(differences.map((difference) => difference.saleId))) {
    const found = differences.filter((difference) => difference.saleId === saleId);
    await raiseAlert(db, {
      kind: 'reconciliation.sales',
      severity: 'critical',
      dedupeKey: `reconciliation.sales:${saleId}`,
      title: `Flash sale ${saleId} does not add up: ${found.map((difference) => SALE_DIFF_KINDS[difference.kind]).join('; ')}`,
      details: { saleId, differences: found.map(({ kind, summary, details }) => ({ kind, summary, details })) },
    });
  }
  return differences;
}
