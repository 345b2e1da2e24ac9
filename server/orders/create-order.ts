import { randomUUID } from 'node:crypto';
import { inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '@/db/client';
import { orderItems, orders, skus } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { appendEvents } from '@/server/pipeline';
import { orderEvent, type LineItem } from './events';
import { INITIAL_STATUS } from './order-state-machine';

export const createOrderInput = z.object({
  userId: z.string().min(1),
  contactPhone: z.string().min(3).default('+10000000000'),
  // How many lines and units one order may ask for is bounded at the door (the storefront's configured limits).
  items: z
    .array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() }))
    .min(1)
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
 *
 * SKU rows are the hottest rows in a flash sale, so they are locked last: everything else
 * is written first, and the freeze is the final statement before the commit.
 */
export async function createOrder(db: Executor, rawInput: CreateOrderInput) {
  const input = createOrderInput.parse(rawInput);
  const requested = [...input.items].sort((a, b) => a.sku.localeCompare(b.sku));
  const orderId = `ord_${randomUUID()}`;
  const deadline = new Date(Date.now() + paymentTimeoutMs(input.paymentTimeoutMs));

  return db.transaction(async (tx) => {
    const catalog = await tx
      .select({ sku: skus.sku, priceCents: skus.priceCents })
      .from(skus)
      .where(inArray(skus.sku, requested.map((item) => item.sku)));
    const unknown = requested.filter((item) => !catalog.some((row) => row.sku === item.sku));
    if (unknown.length > 0) throw new DomainError('BAD_REQUEST', `Unknown SKU: ${unknown.map((item) => item.sku).join(', ')}`);

    const items: LineItem[] = requested.map((item) => ({
      sku: item.sku,
      quantity: item.quantity,
      unitPriceCents: catalog.find((row) => row.sku === item.sku)!.priceCents,
    }));
    const totalCents = items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);

    await tx.insert(orders).values({
      id: orderId,
      userId: input.userId,
      contactPhone: input.contactPhone,
      status: INITIAL_STATUS,
      stockState: 'FROZEN',
      totalCents,
      paymentDeadline: deadline,
    });
    await tx.insert(orderItems).values(items.map((item) => ({ orderId, ...item })));
    // The order row was inserted in this transaction, so it is already locked for the appends.
    await appendEvents(tx, [
      orderEvent('OrderCreated', { orderId, userId: input.userId, items, totalCents, paymentDeadline: deadline.toISOString() }),
      orderEvent('OrderPaymentTimeout', { orderId }, { deliverAt: deadline }),
    ]);

    // Locked in SKU order first (a plain UPDATE locks in plan order, and two orders sharing SKUs
    // could deadlock); the UPDATE then runs on a snapshot taken after the locks, so it sees
    // what the transactions it waited for left available. NO KEY UPDATE, the lock the UPDATE
    // itself takes: FOR UPDATE would conflict with the key-share locks that the order_items
    // foreign keys of concurrent orders hold on these rows, and deadlock with them.
    await tx.execute(sql`select 1 from skus where sku in ${requested.map((item) => item.sku)} order by sku for no key update`);
    const frozen = await tx.execute<{ sku: string }>(sql`
      update skus set available = skus.available - r.quantity
      from (select * from jsonb_to_recordset(${JSON.stringify(requested)}::jsonb) as r(sku text, quantity int)) r
      where skus.sku = r.sku and skus.available >= r.quantity
      returning skus.sku`);
    if (frozen.length !== requested.length) {
      const stock = await tx.select({ sku: skus.sku, available: skus.available }).from(skus).where(inArray(skus.sku, requested.map((item) => item.sku)));
      const shortages = requested
        .filter((item) => !frozen.some((row) => row.sku === item.sku))
        .map((item) => ({ sku: item.sku, requested: item.quantity, available: stock.find((row) => row.sku === item.sku)?.available ?? 0 }));
      // Throwing rolls back the order and the SKUs already frozen: the try is all or nothing.
      throw new InsufficientStockError(shortages);
    }

    return { orderId, status: INITIAL_STATUS, totalCents, items, paymentDeadline: deadline };
  });
}
