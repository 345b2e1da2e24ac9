import type { Executor } from '@/db/client';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook, wmsWebhookSecret } from '@/server/integrations/webhook-signature';
import { wmsDispatchCallback } from '@/server/integrations/wms-client';
import { DomainError, httpStatusOf } from '@/server/errors';
import { recordDispatch } from './record-shipment';

/** POST /api/wms/callback: the warehouse reports a dispatched shipment, signed like payment notifications. */
export async function handleWmsCallback(request: Request, db: Executor): Promise<Response> {
  const body = await request.text();
  const verdict = verifyWebhook({ secret: wmsWebhookSecret(), body, timestamp: request.headers.get(TIMESTAMP_HEADER), signature: request.headers.get(SIGNATURE_HEADER) });
  if (!verdict.valid) return Response.json({ error: 'invalid_signature', message: verdict.problem }, { status: 401 });

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return Response.json({ error: 'malformed_body', message: 'body is not JSON' }, { status: 400 });
  }
  const parsed = wmsDispatchCallback.safeParse(json);
  if (!parsed.success) return Response.json({ error: 'malformed_body', message: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') }, { status: 400 });

  const { orderId, shipmentId, carrier, trackingNumber, dispatchedAt } = parsed.data;
  try {
    const outcome = await recordDispatch(db, { orderId, wmsShipmentId: shipmentId, carrier, trackingNumber, dispatchedAt: new Date(dispatchedAt) });
    if (outcome === 'not-shippable') return Response.json({ error: 'not_shippable', message: `order ${orderId} was never paid` }, { status: 409 });
    return Response.json({ received: true });
  } catch (error) {
    if (error instanceof DomainError) return Response.json({ error: error.kind.toLowerCase(), message: error.message }, { status: httpStatusOf[error.kind] });
    throw error;
  }
}
