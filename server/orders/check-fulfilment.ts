import { and, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { orderItems, orders, payments, type Order } from '@/db/schema';
import { PAID_STATUSES } from './order-state-machine';

export type FulfilmentVerdict = { pass: true } | { pass: false; reason: string };

function maxUnitsPerUserPerDay(): number {
  return Number(process.env.RISK_MAX_UNITS_PER_USER_PER_DAY) || 50;
}

/**
 * The checks before anything is pushed to the warehouse: the stock was confirmed, the
 * payment on record equals the price of the items, and the risk rule (a user buying more
 * than RISK_MAX_UNITS_PER_USER_PER_DAY units in 24 hours, scalpers in a flash sale).
 */
export async function checkFulfilment(db: Executor, order: Order): Promise<FulfilmentVerdict> {
  if (order.stockState !== 'SOLD') return { pass: false, reason: `stock is ${order.stockState}, not confirmed as sold` };

  const [paid] = await db.select({ amountCents: payments.amountCents }).from(payments).where(eq(payments.id, order.paymentId ?? ''));
  const [priced] = await db
    .select({ cents: sql<number>`sum(${orderItems.quantity} * ${orderItems.unitPriceCents})::int` })
    .from(orderItems)
    .where(eq(orderItems.orderId, order.id));
  if (!paid || paid.amountCents !== priced?.cents || paid.amountCents !== order.totalCents) {
    return { pass: false, reason: `paid ${paid?.amountCents ?? 'nothing'} cents for items priced ${priced?.cents} cents` };
  }

  const limit = maxUnitsPerUserPerDay();
  const [bought] = await db
    .select({ units: sql<number>`coalesce(sum(${orderItems.quantity}), 0)::int` })
    .from(orderItems)
    .innerJoin(orders, eq(orders.id, orderItems.orderId))
    .where(
      and(
        eq(orders.userId, order.userId),
        gte(orders.createdAt, sql`now() - interval '1 day'`),
        inArray(orders.status, PAID_STATUSES),
      ),
    );
  if ((bought?.units ?? 0) > limit) return { pass: false, reason: `risk: user ${order.userId} bought ${bought?.units} units in 24 hours (limit ${limit})` };
  return { pass: true };
}
