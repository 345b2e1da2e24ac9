import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '@/db/client';
import { saleShards, sales, skus } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { appendEvents } from '@/server/pipeline';
import { saleEvent } from './events';
import { salePaymentTimeoutMs, saleShardCount } from './sale-settings';

export const armSaleFields = {
  name: z.string().trim().min(1).max(200),
  sku: z.string().trim().min(1).max(100),
  units: z.number().int().positive().max(10_000_000),
  priceCents: z.number().int().positive(),
  startsAt: z.coerce.date(),
  endsAt: z.coerce.date(),
  perBuyerLimit: z.number().int().positive().max(1_000),
  /** How long an admitted buyer has to pay; default SALE_PAYMENT_TIMEOUT_MS. */
  paymentTimeoutMs: z.number().int().min(1_000).max(24 * 60 * 60_000).optional(),
};
export const armSaleInput = z.object(armSaleFields);
export type ArmSaleInput = z.input<typeof armSaleInput>;

/**
 * Defines a sale and arms it in one transaction: its units come off the SKU's available stock
 * (refused with 409 when it has fewer), are split over the sale's stock shards, and the sale's
 * start and end are scheduled as delayed events. A script (a benchmark) may call this directly;
 * the console calls it through the audited sales router.
 */
export async function armSale(db: Executor, rawInput: ArmSaleInput & { armedBy: string }) {
  const input = armSaleInput.parse(rawInput);
  if (input.endsAt <= input.startsAt) throw new DomainError('BAD_REQUEST', 'endsAt: the end time must be after the start time.');
  if (input.endsAt.getTime() <= Date.now()) throw new DomainError('BAD_REQUEST', 'The end time has already passed: choose one in the future.');
  const saleId = `sale_${randomUUID()}`;
  const shardCount = Math.min(saleShardCount(), input.units);

  return db.transaction(async (tx) => {
    const [taken] = await tx.execute<{ available: number }>(sql`
      update ${skus} set available = available - ${input.units}
      where sku = ${input.sku} and available >= ${input.units}
      returning available`);
    if (!taken) {
      const [sku] = await tx.select({ available: skus.available }).from(skus).where(sql`${skus.sku} = ${input.sku}`);
      if (!sku) throw new DomainError('BAD_REQUEST', `Unknown SKU: ${input.sku}.`);
      throw new DomainError('CONFLICT', `SKU ${input.sku} has ${sku.available} units available; a sale of ${input.units} cannot be armed. Nothing was taken.`);
    }
    const [sale] = await tx
      .insert(sales)
      .values({
        id: saleId,
        name: input.name,
        sku: input.sku,
        unitsArmed: input.units,
        priceCents: input.priceCents,
        perBuyerLimit: input.perBuyerLimit,
        highestBuyerLimit: input.perBuyerLimit,
        paymentTimeoutMs: input.paymentTimeoutMs ?? salePaymentTimeoutMs(),
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        armedBy: rawInput.armedBy,
      })
      .returning();
    await tx.insert(saleShards).values(
      Array.from({ length: shardCount }, (_, shard) => ({
        saleId,
        shard,
        unitsLeft: Math.floor(input.units / shardCount) + (shard < input.units % shardCount ? 1 : 0),
      })),
    );
    await appendEvents(tx, [
      saleEvent('SaleStartDue', { saleId }, { deliverAt: input.startsAt }),
      saleEvent('SaleTimeUp', { saleId }, { deliverAt: input.endsAt }),
    ]);
    return sale!;
  });
}
