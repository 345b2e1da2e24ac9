import { z } from 'zod';
import { callIntegration, integrationEndpoint, type IntegrationEndpoint } from './integration-client';

export const wmsShipment = z.object({
  shipmentId: z.string(),
  orderId: z.string(),
  status: z.enum(['ACCEPTED', 'DISPATCHED', 'CANCELLED']),
  carrier: z.string().nullable(),
  trackingNumber: z.string().nullable(),
});
export type WmsShipment = z.infer<typeof wmsShipment>;

/** What the WMS posts back to `callbackUrl` when a shipment leaves the warehouse (signed like payment notifications). */
export const wmsDispatchCallback = z.object({
  type: z.literal('shipment.dispatched'),
  orderId: z.string().min(1),
  shipmentId: z.string().min(1),
  carrier: z.string().min(1),
  trackingNumber: z.string().min(1),
  dispatchedAt: z.iso.datetime({ offset: true }),
});
export type WmsDispatchCallback = z.infer<typeof wmsDispatchCallback>;

/** The warehouse: shipments are keyed by order id, so pushing the same order twice creates one shipment. */
export function createWmsClient(fixed?: IntegrationEndpoint) {
  // Resolved per call so that env set after import (the launcher's ORDER_API_URL) still applies.
  const endpoint = () => fixed ?? integrationEndpoint('wms');
  return {
    createShipment: (input: { orderId: string; items: { sku: string; quantity: number }[]; callbackUrl: string }) =>
      callIntegration(endpoint(), { operation: 'create shipment', method: 'POST', path: '/shipments', body: input, idempotencyKey: input.orderId, response: wmsShipment }),
    /** Answers 409 (IntegrationHttpError) when the shipment has already been dispatched. */
    cancelShipment: (orderId: string) =>
      callIntegration(endpoint(), { operation: 'cancel shipment', method: 'POST', path: `/shipments/${encodeURIComponent(orderId)}/cancel`, idempotencyKey: `cancel:${orderId}`, response: wmsShipment }),
    getShipment: (orderId: string) =>
      callIntegration(endpoint(), { operation: 'get shipment', method: 'GET', path: `/shipments/${encodeURIComponent(orderId)}`, response: wmsShipment }),
  };
}
export type WmsClient = ReturnType<typeof createWmsClient>;
