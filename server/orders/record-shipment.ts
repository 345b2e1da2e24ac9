import { eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { shipments } from '@/db/schema';
import type { AlertRuleName } from '@/server/ops/alert-rules';
import { recordWebhookReceived, wasWebhookReceived } from '@/server/integrations/received-webhooks';
import { raiseAlert } from '@/server/ops/raise-alert';
import { appendEvent } from '@/server/pipeline';
import { orderEvent } from './events';
import { lockOrder, transitionOrder } from './order';
import { canTransition } from './order-state-machine';
import { takeRestockedOffSale } from './stock';

/**
 * The warehouse accepted the push: the order is FULFILLING. Returns false, changing
 * nothing, when the order left PAID while the push was in flight (a refund started);
 * the caller then cancels the shipment it just created.
 */
export async function recordShipmentAccepted(tx: Executor, input: { orderId: string; wmsShipmentId: string }): Promise<boolean> {
  const order = await lockOrder(tx, input.orderId);
  if (!canTransition(order.status, 'acceptShipment')) return false;
  await tx.insert(shipments).values({ orderId: order.id, wmsShipmentId: input.wmsShipmentId, status: 'ACCEPTED' }).onConflictDoNothing();
  await transitionOrder(tx, order.id, 'acceptShipment');
  await appendEvent(tx, orderEvent('ShipmentAccepted', { orderId: order.id, shipmentId: input.wmsShipmentId }));
  return true;
}

export async function markShipmentCancelled(tx: Executor, orderId: string) {
  await tx.update(shipments).set({ status: 'CANCELLED', updatedAt: sql`now()` }).where(eq(shipments.orderId, orderId));
}

export type DispatchOutcome = 'shipped' | 'already-shipped' | 'recorded-after-refund' | 'not-shippable' | 'already-handled';

/**
 * The warehouse dispatched the shipment (signed callback). A callback can overtake our own
 * record of the acceptance (the push's response was lost and its retry has not run yet):
 * the callback proves the acceptance, so a PAID order goes straight to SHIPPED.
 */
export interface DispatchReport {
  orderId: string;
  wmsShipmentId: string;
  carrier: string;
  trackingNumber: string;
  dispatchedAt: Date;
  /** The callback's `webhook-id`: recorded with the dispatch, so a replay of it is answered as already handled. */
  webhookId?: string;
}

export async function recordDispatch(db: Executor, input: DispatchReport): Promise<DispatchOutcome> {
  return db.transaction(async (tx) => {
    const outcome = await dispatch(tx, input);
    // Recorded last, with the effect: a copy of this callback waits on the order's lock, not on this row.
    if (input.webhookId && outcome !== 'not-shippable' && outcome !== 'already-handled') {
      await recordWebhookReceived(tx, 'wms', input.webhookId);
    }
    return outcome;
  });
}

async function dispatch(tx: Executor, input: DispatchReport): Promise<DispatchOutcome> {
  const order = await lockOrder(tx, input.orderId);
  // Read after the order's lock: a copy of this callback that held it has committed by now.
  if (input.webhookId) {
    if (await wasWebhookReceived(tx, 'wms', input.webhookId)) return 'already-handled';
  }
  if (order.status === 'PENDING_PAYMENT' || order.status === 'CLOSED') return 'not-shippable';
  if (order.status === 'SHIPPED') return 'already-shipped';

  const dispatched = { wmsShipmentId: input.wmsShipmentId, status: 'DISPATCHED' as const, carrier: input.carrier, trackingNumber: input.trackingNumber, updatedAt: new Date() };
  await tx
    .insert(shipments)
    .values({ orderId: order.id, ...dispatched })
    .onConflictDoUpdate({ target: shipments.orderId, set: dispatched });
  // A refund raced the dispatch: the goods are gone, so the shipment is recorded but the order stays in its refund.
  if (!canTransition(order.status, 'dispatch')) {
    if (order.stockState === 'RESTOCKED') await shippedAfterRestock(tx, order.id, input);
    return 'recorded-after-refund';
  }

  await transitionOrder(tx, order.id, 'dispatch', { carrier: input.carrier, trackingNumber: input.trackingNumber, shippedAt: input.dispatchedAt });
  await appendEvent(
    tx,
    orderEvent('OrderShipped', {
      orderId: order.id,
      contactPhone: order.contactPhone,
      carrier: input.carrier,
      trackingNumber: input.trackingNumber,
      shippedAt: input.dispatchedAt.toISOString(),
    }),
  );
  return 'shipped';
}

const SHIPPED_AFTER_RESTOCK_ALERT: AlertRuleName = 'shipment.after_restock';

/**
 * The refund's compensation found nothing to cancel at the warehouse and put the units back on
 * sale, and then a push that was still on its way created a shipment there, which has now left.
 * The units are gone: they come off sale again if they are still there. Either way a person
 * must know, since the customer has the refund and the goods.
 */
async function shippedAfterRestock(tx: Executor, orderId: string, shipment: { carrier: string; trackingNumber: string }) {
  const stock = await takeRestockedOffSale(tx, orderId);
  await raiseAlert(tx, {
    kind: SHIPPED_AFTER_RESTOCK_ALERT,
    severity: stock === 'taken' ? 'warning' : 'critical',
    dedupeKey: `${SHIPPED_AFTER_RESTOCK_ALERT}:${orderId}`,
    title:
      stock === 'taken'
        ? `Refunded order ${orderId} left the warehouse after its units went back on sale; they are off sale again. ` +
          `The customer has the refund and the goods: recall the parcel (${shipment.carrier} ${shipment.trackingNumber}) or write it off.`
        : `Refunded order ${orderId} left the warehouse after its units went back on sale, and some were sold again since: stock is short. ` +
          `Recall the parcel (${shipment.carrier} ${shipment.trackingNumber}) or correct the SKUs' stock by hand.`,
    details: { orderId, carrier: shipment.carrier, trackingNumber: shipment.trackingNumber, stock },
  });
}
