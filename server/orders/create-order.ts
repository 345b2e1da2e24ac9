import { randomUUID } from 'node:crypto';
import { inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '@/db/client';
import { orderItems, orders, skus } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { appendEvent } from '@/server/pipeline/append-event';
import { orderEvent, type LineItem } from './events';

export const createOrderInput = z.object({
  userId: z.string().min(1),
  contactPhone: z.string().min(3).default('+10000000000'),
  items: z
    .array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive().max(1000) }))
    .min(1)
    .max(50)
    .refine((items) => new Set(items.map((item) => item.sku)).size === items.length, 'each SKU may appear once'),
  /** Overrides ORDER_PAYMENT_TIMEOUT_MS (default 30 minutes). */
  paymentTimeoutMs: z.number().int().positive().optional(),
});
export type CreateOrderInput = z.input<typeof createOrderInput>;

export class InsufficientStockError extends DomainError {
  constructor(readonly shortages: { sku: string; requested: number; available: number }[]) {
    super('CONFLICT', `Not enough stock: ${shortages.map((s) => `${s.sku} (requested ${s.requested}, available ${s.available})`).join(', ')}. Nothing was reserved.`);
    this.name = 'InsufficientStockError';
  }
}

const DEFAULT_PAYMENT_TIMEOUT_MS = 30 * 60_000;

function paymentTimeoutMs(override?: number): number {
  return override ?? (Number(process.env.ORDER_PAYMENT_TIMEOUT_MS) || DEFAULT_PAYMENT_TIMEOUT_MS);
}

/**
 * Creates an order in one transaction: prices from the catalog, stock frozen (TCC try),
 * order PENDING_PAYMENT, and a delayed OrderPaymentTimeout at the payment deadline.
 * When any SKU is short, nothing is frozen and InsufficientStockError names the shortages.
 */
export async function createOrder(db: Executor, rawInput: CreateOrderInput) {
  const input = createOrderInput.parse(rawInput);
  const requested = [...input.items].sort((a, b) => a.sku.localeCompare(b.sku));
  const orderId = `ord_${randomUUID()}`;
  const deadline = new Date(Date.now() + paymentTimeoutMs(input.paymentTimeoutMs));

  return db.transaction(async (tx) => {
    // Lock the SKU rows in SKU order first: a single UPDATE would lock them in plan order,
    // and two orders sharing SKUs could then deadlock.
    await tx.execute(sql`select 1 from skus where sku in ${requested.map((item) => item.sku)} order by sku for update`);
    const frozen = await tx.execute<{ sku: string; price_cents: number }>(sql`
      update skus set available = skus.available - r.quantity, frozen = skus.frozen + r.quantity
      from (select * from jsonb_to_recordset(${JSON.stringify(requested)}::jsonb) as r(sku text, quantity int)) r
      where skus.sku = r.sku and skus.available >= r.quantity
      returning skus.sku, skus.price_cents`);

    if (frozen.length !== requested.length) {
      const known = await tx
        .select({ sku: skus.sku, available: skus.available })
        .from(skus)
        .where(inArray(skus.sku, requested.map((item) => item.sku)));
      const unknown = requested.filter((item) => !known.some((row) => row.sku === item.sku));
      if (unknown.length > 0) throw new DomainError('BAD_REQUEST', `Unknown SKU: ${unknown.map((item) => item.sku).join(', ')}`);
      const shortages = requested
        .filter((item) => !frozen.some((row) => row.sku === item.sku))
        .map((item) => ({ sku: item.sku, requested: item.quantity, available: known.find((row) => row.sku === item.sku)?.available ?? 0 }));
      // Throwing rolls back the SKUs that were frozen: the try is all or nothing.
      throw new InsufficientStockError(shortages);
    }

    const items: LineItem[] = requested.map((item) => ({
      sku: item.sku,
      quantity: item.quantity,
      unitPriceCents: frozen.find((row) => row.sku === item.sku)!.price_cents,
    }));
    const totalCents = items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);

    await tx.insert(orders).values({
      id: orderId,
      userId: input.userId,
      contactPhone: input.contactPhone,
      status: 'PENDING_PAYMENT',
      stockState: 'FROZEN',
      totalCents,
      paymentDeadline: deadline,
    });
    await tx.insert(orderItems).values(items.map((item) => ({ orderId, ...item })));

    // The order row was inserted in this transaction, so it is already locked for the appends.
    await appendEvent(tx, orderEvent('OrderCreated', { orderId, userId: input.userId, items, totalCents, paymentDeadline: deadline.toISOString() }));
    await appendEvent(tx, orderEvent('OrderPaymentTimeout', { orderId }, { deliverAt: deadline }));

    return { orderId, status: 'PENDING_PAYMENT' as const, totalCents, items, paymentDeadline: deadline };
  });
}
