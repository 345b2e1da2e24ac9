import type { Executor } from '@/db/client';
import { verifyWebhook, webhookHeaders, wmsWebhookSecrets } from '@/server/integrations/webhook-signature';
import { wmsDispatchCallback } from '@/server/integrations/wms-client';
import { recordDispatch } from '@/server/orders/record-shipment';
import type { ApiRoute } from './api-route';
import { parseJsonBody, problem } from './http-answer';

/** POST /api/wms/callback: the warehouse reports a dispatched shipment, signed like payment notifications. */
export function wmsCallbackRoutes(db: Executor): ApiRoute[] {
  return [
    {
      method: 'POST',
      path: '/api/wms/callback',
      async handle(request) {
        const body = await request.text();
        const verdict = verifyWebhook({ secrets: wmsWebhookSecrets(), secretsVariable: 'WMS_WEBHOOK_SECRET', body, headers: webhookHeaders(request.header) });
        if (!verdict.valid) return problem(401, 'invalid_signature', verdict.problem);
        const parsed = parseJsonBody(body, wmsDispatchCallback);
        if (!parsed.ok) return parsed.answer;
        const { orderId, shipmentId, carrier, trackingNumber, dispatchedAt } = parsed.value;
        const outcome = await recordDispatch(db, { orderId, wmsShipmentId: shipmentId, carrier, trackingNumber, dispatchedAt: new Date(dispatchedAt) });
        if (outcome === 'not-shippable') return problem(409, 'not_shippable', `order ${orderId} was never paid`);
        return { status: 200, body: { received: true } };
      },
    },
  ];
}
