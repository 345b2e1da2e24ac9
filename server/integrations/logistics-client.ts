import { z } from 'zod';
import { callIntegration, integrationEndpoint, type IntegrationEndpoint } from './integration-client';

export const waybill = z.object({
  trackingNumber: z.string(),
  carrier: z.string(),
  shipmentId: z.string(),
  status: z.enum(['IN_TRANSIT']),
});
export type Waybill = z.infer<typeof waybill>;

/** The carrier's tracking API (the WMS books the waybill when it dispatches). */
export function createLogisticsClient(fixed?: IntegrationEndpoint) {
  // Resolved per call so that env set after import (the launcher's ORDER_API_URL) still applies.
  const endpoint = () => fixed ?? integrationEndpoint('logistics');
  return {
    trackWaybill: (trackingNumber: string) =>
      callIntegration(endpoint(), { operation: 'track waybill', method: 'GET', path: `/waybills/${encodeURIComponent(trackingNumber)}`, response: waybill }),
  };
}
export type LogisticsClient = ReturnType<typeof createLogisticsClient>;
