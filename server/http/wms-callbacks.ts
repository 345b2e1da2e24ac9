import type { Executor } from '@/db/client';
import { verifyWebhook, webhookHeaders, wmsWebhookSecrets } from '@/server/integrations/webhook-signature';
import { wmsDispatchCallback } from '@/server/integrations/wms-client';
import { recordDispatch } from '@/server/orders/record-shipment';
import type { ApiRoute } from './api-route';
import { parseJsonBody, problem } from './http-answer';

/**
 * POST /api/wms/callback: the warehouse reports a dispatched shipment, signed like payment
 * notifications. Its `webhook-id` is recorded in the transaction that records the dispatch,
 * so a replayed id is answered as already handled and never acted on twice; a callback that
 * was refused keeps no record, so the warehouse's redelivery is judged afresh.
 */
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
        const outcome = await recordDispatch(db, { orderId, wmsShipmentId: shipmentId, carrier, trackingNumber, dispatchedAt: new Date(dispatchedAt), webhookId: verdict.id });
        if (outcome === 'not-shippable') return problem(409, 'not_shippable', `order ${orderId} was never paid`);
        if (outcome === 'already-handled') return { status: 200, body: { received: true, alreadyHandled: true } };
        return { status: 200, body: { received: true } };
      },
    },
  ];
}
