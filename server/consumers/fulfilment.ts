import { eq } from 'drizzle-orm';
import type { Transaction } from '@/db/client';
import { orders, shipments } from '@/db/schema';
import { IntegrationHttpError } from '@/server/integrations/integration-client';
import { checkFulfilment } from '@/server/orders/check-fulfilment';
import { parseOrderEvent } from '@/server/orders/events';
import { lockOrder, orderLineItems } from '@/server/orders/order';
import { canTransition } from '@/server/orders/order-state-machine';
import { markShipmentCancelled, recordShipmentAccepted } from '@/server/orders/record-shipment';
import { requestRefund } from '@/server/orders/request-refund';
import { restockSold } from '@/server/orders/stock';
import { defineConsumer, type PipelineEvent } from '@/server/pipeline';
import type { ConsumerDependencies } from './dependencies';
import { FULFILMENT_GROUP } from './groups';

/**
 * OrderPaid: checks, then the push to the warehouse. The order row is not locked during the
 * HTTP call (the notify path must never wait on the WMS); it is re-checked afterwards.
 * The WMS keys shipments by order id, so a push retried after a lost response or a
 * timeout finds the first shipment instead of creating a second.
 */
async function pushShipment(event: PipelineEvent, tx: Transaction, dependencies: ConsumerDependencies) {
  const { orderId } = parseOrderEvent('OrderPaid', event);
  const [order] = await tx.select().from(orders).where(eq(orders.id, orderId));
  // Refunded and put back on sale while this push was retried: an earlier attempt that timed out
  // may still have reached the WMS after the compensation found nothing there, so cancel what it
  // left. One that already left is handled by its dispatch callback (record-shipment.ts).
  if (order?.stockState === 'RESTOCKED') {
    await cancelAtWarehouse(orderId, dependencies);
    return;
  }
  if (!order || !canTransition(order.status, 'acceptShipment')) return;

  const verdict = await checkFulfilment(tx, order);
  if (!verdict.pass) {
    await requestRefund(tx, { orderId, reason: `fulfilment rejected: ${verdict.reason}` });
    return;
  }

  let wmsShipmentId: string;
  try {
    const items = (await orderLineItems(tx, orderId)).map(({ sku, quantity }) => ({ sku, quantity }));
    ({ shipmentId: wmsShipmentId } = await dependencies.wms.createShipment({ orderId, items, callbackUrl: `${dependencies.callbackBaseUrl()}/api/wms/callback` }));
  } catch (error) {
    if (error instanceof IntegrationHttpError && error.refused) {
      await requestRefund(tx, { orderId, reason: `warehouse rejected the shipment: ${error.message}` });
      return;
    }
    throw error;
  }
  if (!(await recordShipmentAccepted(tx, { orderId, wmsShipmentId }))) {
    await dependencies.wms.cancelShipment(orderId);
  }
}

/** Cancels the order's shipment at the WMS: done, nothing there (404), or it already left (409). Anything else throws, to be retried. */
async function cancelAtWarehouse(orderId: string, dependencies: ConsumerDependencies): Promise<'cancelled' | 'nothing-there' | 'already-left'> {
  try {
    await dependencies.wms.cancelShipment(orderId);
    return 'cancelled';
  } catch (error) {
    if (error instanceof IntegrationHttpError && error.status === 404) return 'nothing-there';
    if (error instanceof IntegrationHttpError && error.status === 409) return 'already-left';
    throw error;
  }
}

/**
 * RefundRequested for a sold order: cancel the shipment unless it has left, and only then
 * put the units back on sale. The WMS is asked even without a local shipment row, because
 * a push whose response was lost may have created one there.
 */
async function compensateFulfilment(event: PipelineEvent, tx: Transaction, dependencies: ConsumerDependencies) {
  const requested = parseOrderEvent('RefundRequested', event);
  if (requested.kind !== 'order') return;
  const order = await lockOrder(tx, requested.orderId);
  if (order.stockState !== 'SOLD') return;

  const [shipment] = await tx.select().from(shipments).where(eq(shipments.orderId, order.id));
  if (shipment?.status === 'DISPATCHED') return;
  if ((await cancelAtWarehouse(order.id, dependencies)) === 'already-left') return;
  await markShipmentCancelled(tx, order.id);
  await restockSold(tx, order.id);
}

export function fulfilmentConsumer(dependencies: ConsumerDependencies) {
  return defineConsumer({
    group: FULFILMENT_GROUP,
    topics: ['orders'],
    types: ['OrderPaid', 'RefundRequested'],
    // One event per transaction: a restock locks SKU rows, which must not stay locked while
    // the rest of a batch waits on the WMS, nor be locked in an order other than SKU order.
    batchSize: 1,
    // Each push waits on the WMS, so one runner alone drains about 30 orders a second; four
    // push at once, each on its own share of the partitions (order per key still holds).
    concurrency: 4,
    maxAttempts: 30,
    backoff: dependencies.backoff,
    handler: (event, { tx }) => (event.type === 'OrderPaid' ? pushShipment(event, tx, dependencies) : compensateFulfilment(event, tx, dependencies)),
  });
}
