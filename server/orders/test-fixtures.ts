import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { orders, skus } from '@/db/schema';
import { paymentWebhookSecrets, signedHeaders } from '@/server/integrations/webhook-signature';
import type { PaymentNotificationBody } from '@/server/http/payment-notifications';
import { traceKey } from '@/server/pipeline';
import { waitFor } from '@/test/wait-for';
import { skuStock } from './stock';

/** Shared by the order and consumer integration tests: unique data per test, signed requests. */

export async function createSku(db: Executor, options: { stock?: number; priceCents?: number } = {}) {
  const sku = `SKU-T-${randomUUID().slice(0, 8)}`;
  const stock = options.stock ?? 100;
  await db.insert(skus).values({ sku, name: sku, priceCents: options.priceCents ?? 1_000, total: stock, available: stock });
  return sku;
}

export async function stockOf(db: Executor, sku: string) {
  const [row] = await db.execute<{ available: number; frozen: number; sold: number }>(
    sql`select available, frozen, sold from ${skuStock} stock where sku = ${sku}`,
  );
  return { available: row!.available, frozen: row!.frozen, sold: row!.sold };
}

export async function orderRow(db: Executor, orderId: string) {
  const [row] = await db.select().from(orders).where(eq(orders.id, orderId));
  return row!;
}

/** Events appended for an order, whether still in the outbox or already moved to the log. */
export async function eventTypesOf(db: Executor, orderId: string): Promise<string[]> {
  return (await traceKey(db, { key: orderId })).map((event) => event.type);
}

export async function countEvents(db: Executor, orderId: string, type: string): Promise<number> {
  return (await eventTypesOf(db, orderId)).filter((found) => found === type).length;
}

export function paymentNotification(orderId: string, amountCents: number, paymentId = `pay_${randomUUID()}`): PaymentNotificationBody {
  return { type: 'payment.succeeded', paymentId, orderId, amountCents, paidAt: new Date().toISOString() };
}

/** Posts a payment notification signed as the provider signs it; a fresh webhook-id each time unless `id` is given. */
export async function postSignedJson(url: string, body: unknown, options: { secrets?: string | readonly string[]; at?: Date; id?: string } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(url, { method: 'POST', headers: signedHeaders(options.secrets ?? paymentWebhookSecrets(), text, { at: options.at, id: options.id }), body: text });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Polls until `check` returns a value other than undefined, or fails with `what` after the deadline. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  // Boxed, so that a found value that is falsy (0, false, '') still ends the wait.
  const found = await waitFor(async () => {
    const value = await check();
    return value === undefined ? undefined : { value };
  }, { what, timeoutMs, intervalMs: 50 });
  return found.value;
}
