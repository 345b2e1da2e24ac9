import { eq } from 'drizzle-orm';
import { shipments } from '@/db/schema';
import { PAID_STATUSES, REFUND_STATUSES } from '@/server/orders/order-state-machine';
import { orNotFound, type Finding, type OrderToCheck, type ReconcileContext } from './reconcile-types';

/** Order states whose shipment, if any, must not be live at the warehouse. */
const REFUNDED_SIDE = [...REFUND_STATUSES, 'CLOSED'];
/** Order states that should have a shipment at the warehouse. */
const EXPECTS_SHIPMENT = PAID_STATUSES;

export function needsWarehouseCheck(order: OrderToCheck, context: ReconcileContext): boolean {
  if (order.status === 'PAID') return !!order.paidAt && context.now.getTime() - order.paidAt.getTime() >= context.settings.wmsGraceMs;
  return EXPECTS_SHIPMENT.includes(order.status) || REFUND_STATUSES.includes(order.status);
}

/**
 * Orders vs the warehouse: a paid order the WMS does not know (a push lost although the
 * pipeline counted it done) is re-pushed; a live shipment for a refunded order is cancelled;
 * any other status disagreement is for a person.
 */
export async function reconcileShipments(context: ReconcileContext, order: OrderToCheck): Promise<Finding[]> {
  if (!needsWarehouseCheck(order, context)) return [];
  const theirs = await orNotFound(context.wms.getShipment(order.id));
  const [ours] = await context.db.select().from(shipments).where(eq(shipments.orderId, order.id));
  const oursView = { orderStatus: order.status, shipmentStatus: ours?.status ?? null, wmsShipmentId: ours?.wmsShipmentId ?? null };
  const theirsView = theirs ? { shipmentId: theirs.shipmentId, status: theirs.status, carrier: theirs.carrier, trackingNumber: theirs.trackingNumber } : { shipment: null };
  const finding = (kind: Finding['kind'], summary: string, fix: Finding['fix']): Finding[] => [
    { kind, orderId: order.id, subject: 'shipment', ours: oursView, theirs: theirsView, summary, fix },
  ];

  const refundedSide = REFUNDED_SIDE.includes(order.status);
  if (!theirs) {
    if (order.status === 'PAID' || order.status === 'FULFILLING') {
      return finding('shipment_missing_at_wms', `Order ${order.id} is ${order.status} but the warehouse has no shipment for it.`, 'repush_shipment');
    }
    if (order.status === 'SHIPPED') {
      return finding('shipment_status_mismatch', `Order ${order.id} is ${order.status} but the warehouse has no shipment for it.`, null);
    }
    return [];
  }
  if (refundedSide) {
    if (theirs.status === 'ACCEPTED') {
      return finding('shipment_live_after_refund', `Order ${order.id} is ${order.status} but its shipment is still live at the warehouse.`, 'cancel_at_wms');
    }
    return [];
  }
  if (theirs.status === 'CANCELLED') {
    return finding('shipment_status_mismatch', `The warehouse cancelled the shipment of order ${order.id}, which is ${order.status} here.`, null);
  }
  if (theirs.status === 'DISPATCHED' && (order.status === 'PAID' || order.status === 'FULFILLING')) {
    return finding('shipment_status_mismatch', `The warehouse dispatched order ${order.id} (${theirs.trackingNumber}); we still say ${order.status}.`, null);
  }
  if (theirs.status === 'ACCEPTED' && order.status === 'SHIPPED') {
    return finding('shipment_status_mismatch', `Order ${order.id} is ${order.status} here but the warehouse has not dispatched it.`, null);
  }
  return [];
}
