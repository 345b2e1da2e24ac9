import { eq } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { shipments } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { IntegrationHttpError } from '@/server/integrations/integration-client';
import { createWmsClient, type WmsClient } from '@/server/integrations/wms-client';
import { lockOrder } from './order';
import { markShipmentCancelled } from './record-shipment';

/** Order states in which a live shipment is a leftover the refund saga should have cancelled. */
export const SHIPMENT_CANCELLABLE_STATUSES = ['REFUNDING', 'REFUND_FAILED', 'REFUNDED'] as const;

/**
 * Cancels the order's shipment at the warehouse and records it, for a refunded order whose
 * shipment is still ACCEPTED (the fulfilment compensation did not run). The WMS call comes
 * first and is idempotent by order id; a shipment already cancelled is a no-op.
 */
export async function cancelShipment(db: Executor, input: { orderId: string }, wms: WmsClient = createWmsClient()) {
  const [shipment] = await db.select().from(shipments).where(eq(shipments.orderId, input.orderId));
  if (!shipment) throw new DomainError('NOT_FOUND', `Order ${input.orderId} has no shipment to cancel.`);
  if (shipment.status === 'CANCELLED') return { orderId: input.orderId, changed: false };
  if (shipment.status === 'DISPATCHED') throw new DomainError('CONFLICT', `The shipment of order ${input.orderId} has left the warehouse; it cannot be cancelled.`);
  try {
    await wms.cancelShipment(input.orderId);
  } catch (error) {
    const nothingThere = error instanceof IntegrationHttpError && error.status === 404;
    if (error instanceof IntegrationHttpError && error.status === 409) {
      throw new DomainError('CONFLICT', `The warehouse says the shipment of order ${input.orderId} already left; it cannot be cancelled.`);
    }
    if (!nothingThere) throw new DomainError('PRECONDITION_FAILED', `The warehouse did not cancel the shipment (${error instanceof Error ? error.message : String(error)}). Try again in a minute.`);
  }
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, input.orderId);
    if (!(SHIPMENT_CANCELLABLE_STATUSES as readonly string[]).includes(order.status)) {
      throw new DomainError('CONFLICT', `Order ${order.id} is ${order.status}: only the shipment of a refunded order is cancelled from here.`);
    }
    await markShipmentCancelled(tx, order.id);
    return { orderId: order.id, changed: true };
  });
}
