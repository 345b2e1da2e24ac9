import { asc, eq } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { coupons, orderItems, orders, payments, pointsLedger, refunds, shipments, skus, type Order } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { SHIPMENT_CANCELLABLE_STATUSES } from './cancel-shipment';
import { fulfilmentDelivery, type FulfilmentDelivery } from './fulfilment-delivery';

export const compensationKinds = [
  'repushShipment',
  'cancelShipment',
  'releaseStock',
  'retryRefund',
  'markRefundDone',
  'reversePoints',
  'revokeCoupon',
  'closeOrder',
] as const;
export type CompensationKind = (typeof compensationKinds)[number];

/** A compensation that makes sense for the order as it is now, with what it will do in plain words. */
export interface Compensation {
  kind: CompensationKind;
  label: string;
  preview: string;
  danger: boolean;
  /** markRefundDone needs the provider's refund reference. */
  needsProviderReference?: boolean;
}

/** Everything the order page shows about an order besides its trace. */
export async function getOrderDetails(db: Executor, orderId: string) {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) throw new DomainError('NOT_FOUND', `There is no order ${orderId}. Check the id (it starts with ord_).`);
  const [items, orderPayments, orderRefunds, [shipment], points, [coupon], delivery] = await Promise.all([
    db
      .select({ sku: orderItems.sku, name: skus.name, quantity: orderItems.quantity, unitPriceCents: orderItems.unitPriceCents })
      .from(orderItems)
      .innerJoin(skus, eq(skus.sku, orderItems.sku))
      .where(eq(orderItems.orderId, orderId))
      .orderBy(asc(orderItems.sku)),
    db.select().from(payments).where(eq(payments.orderId, orderId)).orderBy(asc(payments.receivedAt)),
    db.select().from(refunds).where(eq(refunds.orderId, orderId)).orderBy(asc(refunds.createdAt)),
    db.select().from(shipments).where(eq(shipments.orderId, orderId)),
    db.select().from(pointsLedger).where(eq(pointsLedger.orderId, orderId)),
    db.select().from(coupons).where(eq(coupons.orderId, orderId)),
    fulfilmentDelivery(db, orderId),
  ]);
  const compensations = availableCompensations({ order, refunds: orderRefunds, shipment, points, coupon, delivery });
  return { order, items, payments: orderPayments, refunds: orderRefunds, shipment: shipment ?? null, points, coupon: coupon ?? null, compensations };
}

interface OrderState {
  order: Order;
  refunds: (typeof refunds.$inferSelect)[];
  shipment: typeof shipments.$inferSelect | undefined;
  points: (typeof pointsLedger.$inferSelect)[];
  coupon: typeof coupons.$inferSelect | undefined;
  delivery: FulfilmentDelivery;
}

const money = (cents: number) => (cents / 100).toFixed(2);

/** Which compensation buttons make sense for the order's state; the services check again when called. */
export function availableCompensations({ order, refunds: orderRefunds, shipment, points, coupon, delivery }: OrderState): Compensation[] {
  const list: Compensation[] = [];
  if (order.status === 'PAID' && delivery.state === 'retrying') {
    list.push({
      kind: 'repushShipment',
      label: 'Re-push to WMS',
      danger: false,
      preview: `Pushes the order to the warehouse again now, instead of at the next scheduled attempt (attempt ${delivery.attempt} failed: ${delivery.lastError ?? 'unknown error'}). The warehouse keys shipments by order, so a push that did arrive is not duplicated.`,
    });
  }
  if (order.status === 'PAID' && delivery.state === 'dead') {
    list.push({
      kind: 'repushShipment',
      label: 'Re-push to WMS',
      danger: false,
      preview: `The warehouse push gave up after ${delivery.attempts} attempts (${delivery.lastError ?? 'unknown error'}). This replays it once now; the warehouse keys shipments by order, so nothing is duplicated.`,
    });
  }
  if (shipment?.status === 'ACCEPTED' && (SHIPMENT_CANCELLABLE_STATUSES as readonly string[]).includes(order.status)) {
    list.push({
      kind: 'cancelShipment',
      label: 'Cancel shipment',
      danger: true,
      preview: `Asks the warehouse to cancel shipment ${shipment.wmsShipmentId}, which is still waiting there although the order is ${order.status}, and records it as cancelled. Stock is not touched.`,
    });
  }
  if (order.status === 'CLOSED' && order.stockState === 'FROZEN') {
    list.push({
      kind: 'releaseStock',
      label: 'Release frozen stock',
      danger: false,
      preview: 'The order is closed but its units are still reserved. This puts them back on sale (stock FROZEN → RELEASED).',
    });
  }
  const failedRefund = orderRefunds.find((refund) => refund.status === 'FAILED' && refund.kind === 'order');
  if (failedRefund) {
    list.push({
      kind: 'retryRefund',
      label: 'Retry refund',
      danger: false,
      preview: `Asks the payment provider again to refund ${money(failedRefund.amountCents)} (refund ${failedRefund.id}, last error: ${failedRefund.lastError ?? 'unknown'}). The order shows REFUNDING until the provider answers. The provider is idempotent by refund id, so the customer cannot be paid twice.`,
    });
    list.push({
      kind: 'markRefundDone',
      label: 'Mark refund done manually',
      danger: true,
      needsProviderReference: true,
      preview: `Only if you refunded ${money(failedRefund.amountCents)} by hand in the provider's back office: the refund is recorded as succeeded with the provider's reference, the order becomes REFUNDED, the customer is told, and points and coupon are reversed.`,
    });
  }
  const credit = points.find((entry) => entry.entry === 'credit');
  if (order.status === 'REFUNDED' && credit && !points.some((entry) => entry.entry === 'reversal')) {
    list.push({
      kind: 'reversePoints',
      label: 'Reverse points',
      danger: false,
      preview: `Takes back the ${credit.points} points credited for this order to user ${credit.userId}. A later reversal by the points consumer will not take them twice.`,
    });
  }
  if (order.status === 'REFUNDED' && coupon?.issuedAt && !coupon.revokedAt) {
    list.push({
      kind: 'revokeCoupon',
      label: 'Revoke coupon',
      danger: false,
      preview: `Revokes coupon ${coupon.code} (${money(coupon.valueCents)}) issued for this order.`,
    });
  }
  if (order.status === 'PENDING_PAYMENT') {
    list.push({
      kind: 'closeOrder',
      label: 'Close order',
      danger: true,
      preview: 'Closes the unpaid order and puts its reserved units back on sale. A payment that still arrives later is refunded automatically.',
    });
  }
  return list;
}
