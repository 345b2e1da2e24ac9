import { eq } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { orders, shipments } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { IntegrationHttpError } from '@/server/integrations/integration-client';
import { cancelShipment, SHIPMENT_CANCELLABLE_STATUSES } from '@/server/orders/cancel-shipment';
import { fulfilmentDelivery } from '@/server/orders/fulfilment-delivery';
import { orderLineItems } from '@/server/orders/order';
import { recordPayment } from '@/server/orders/record-payment';
import { recordShipmentAccepted } from '@/server/orders/record-shipment';
import { repushShipment } from '@/server/orders/repush-shipment';
import { completeRefund, lockRefund } from '@/server/orders/settle-refund';
import type { ReconcileDependencies, ReconciliationFix } from './reconcile-types';

export interface FixTarget {
  fix: ReconciliationFix;
  orderId: string;
  subject: string;
}

/**
 * Applies a reconciliation fix through the order commands (each its own transaction with
 * the outbox), after asking the third party again so the fix rests on its current answer.
 * Returns what was done, in words for the diff and the audit log.
 */
export async function applyReconciliationFix(db: Database, dependencies: ReconcileDependencies, target: FixTarget, actor: string): Promise<string> {
  switch (target.fix) {
    case 'apply_payment':
      return applyMissedPayment(db, dependencies, target);
    case 'repush_shipment':
      return repushToWarehouse(db, dependencies, target.orderId, actor);
    case 'cancel_at_wms':
      return cancelAtWarehouse(db, dependencies, target.orderId);
    case 'settle_refund':
      return settleProviderRefund(db, dependencies, target.subject);
  }
}

async function applyMissedPayment(db: Database, { payment }: ReconcileDependencies, target: FixTarget) {
  const provider = await payment.getPayment(target.subject);
  if (provider.orderId !== target.orderId) throw new DomainError('CONFLICT', `Provider payment ${provider.paymentId} belongs to order ${provider.orderId}, not ${target.orderId}.`);
  // The same command a notification runs: one OrderPaid, or a refund when the order was closed meanwhile.
  const outcome = await recordPayment(db, { paymentId: provider.paymentId, orderId: provider.orderId, amountCents: provider.amountCents, paidAt: new Date() });
  switch (outcome.kind) {
    case 'paid':
      return `Recorded payment ${provider.paymentId}: order is PAID and OrderPaid was appended.`;
    case 'duplicate':
    case 'already-handled':
      return `Payment ${provider.paymentId} was already recorded (the notification arrived meanwhile).`;
    case 'refunding':
      return `Recorded payment ${provider.paymentId} and started refund ${outcome.refundId} (${outcome.because === 'order-closed' ? 'the order was closed' : 'the order was already paid'}).`;
    case 'amount-mismatch':
      throw new DomainError('CONFLICT', `Payment ${provider.paymentId} is ${provider.amountCents} cents but the order costs ${outcome.expectedCents}; resolve it by hand.`);
  }
}

async function repushToWarehouse(db: Database, { wms, callbackBaseUrl }: ReconcileDependencies, orderId: string, actor: string) {
  const [order] = await db.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
  if (!order) throw new DomainError('NOT_FOUND', `Order ${orderId} does not exist.`);
  if (order.status === 'PAID') {
    // A push still failing in the pipeline is re-run there; one the pipeline counted as done is pushed again here.
    const delivery = await fulfilmentDelivery(db, orderId);
    if (delivery.state !== 'none') {
      const result = await repushShipment(db, { orderId, actor });
      return `Re-pushed through the pipeline (${result.action}).`;
    }
  } else if (order.status !== 'FULFILLING') {
    throw new DomainError('CONFLICT', `Order ${orderId} is ${order.status}; only a PAID or FULFILLING order is re-pushed.`);
  }
  const items = (await orderLineItems(db, orderId)).map(({ sku, quantity }) => ({ sku, quantity }));
  // Idempotent at the WMS by order id, like the fulfilment consumer's push.
  const shipment = await wms.createShipment({ orderId, items, callbackUrl: `${callbackBaseUrl()}/api/wms/callback` });
  if (order.status === 'FULFILLING') {
    await db.update(shipments).set({ wmsShipmentId: shipment.shipmentId }).where(eq(shipments.orderId, orderId));
    return `Re-pushed to the warehouse as shipment ${shipment.shipmentId}; the order stays FULFILLING until it is dispatched.`;
  }
  const accepted = await db.transaction((tx) => recordShipmentAccepted(tx, { orderId, wmsShipmentId: shipment.shipmentId }));
  if (!accepted) {
    await wms.cancelShipment(orderId);
    return `The order left PAID during the push; shipment ${shipment.shipmentId} was cancelled again.`;
  }
  return `Re-pushed to the warehouse as shipment ${shipment.shipmentId}; order is FULFILLING and ShipmentAccepted was appended.`;
}

async function cancelAtWarehouse(db: Database, { wms }: ReconcileDependencies, orderId: string) {
  const [order] = await db.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
  const [shipment] = await db.select({ status: shipments.status }).from(shipments).where(eq(shipments.orderId, orderId));
  if (shipment && order && (SHIPMENT_CANCELLABLE_STATUSES as readonly string[]).includes(order.status)) {
    await cancelShipment(db, { orderId }, wms);
    return `Cancelled the shipment at the warehouse and recorded it.`;
  }
  try {
    await wms.cancelShipment(orderId);
  } catch (error) {
    if (error instanceof IntegrationHttpError && error.status === 409) throw new DomainError('CONFLICT', `The warehouse says the shipment of order ${orderId} already left.`);
    throw error;
  }
  return `Cancelled the shipment at the warehouse (we had no live shipment on record).`;
}

async function settleProviderRefund(db: Database, { payment }: ReconcileDependencies, refundId: string) {
  const provider = await payment.getRefund(refundId);
  return db.transaction(async (tx) => {
    const refund = await lockRefund(tx, refundId);
    if (refund.status === 'SUCCEEDED') return `Refund ${refundId} was already settled.`;
    if (provider.amountCents !== refund.amountCents) throw new DomainError('CONFLICT', `The provider refunded ${provider.amountCents} cents, not ${refund.amountCents}; resolve it by hand.`);
    // The command the refunds consumer runs when the provider confirms: REFUNDED and RefundSucceeded.
    await completeRefund(tx, refundId, refund.attempts);
    return `Settled refund ${refundId} as the provider confirmed it; RefundSucceeded was appended.`;
  });
}
