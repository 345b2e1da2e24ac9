import { z } from 'zod';
import type { Database } from '@/db/client';
import { paymentWebhookSecrets, verifyWebhook, webhookHeaders, type WebhookHeaders } from '@/server/integrations/webhook-signature';
import { recordPayment } from '@/server/orders/record-payment';
import type { ApiRoute } from './api-route';
import { parseJsonBody, problem, problemFor, type HttpAnswer } from './http-answer';

/** What the payment provider posts to /api/payments/notify. */
export const paymentNotificationBody = z.object({
  type: z.literal('payment.succeeded'),
  paymentId: z.string().min(1),
  orderId: z.string().min(1),
  amountCents: z.number().int().positive(),
  paidAt: z.iso.datetime({ offset: true }),
});
export type PaymentNotificationBody = z.infer<typeof paymentNotificationBody>;

/** What the provider sent: the raw body (the signature covers its exact bytes) and the Standard Webhooks headers. */
export interface SignedNotification {
  body: string;
  headers: WebhookHeaders;
}

/**
 * POST /api/payments/notify. The signature is checked before the body is even parsed, so
 * a forged request learns nothing and changes nothing. Every success (first delivery or
 * any duplicate) gets a 200 answer, which is what makes the provider stop retrying.
 *
 * A `webhook-id` acted on before is answered as already handled without touching the order:
 * recordPayment records the id in the payment's own statement or transaction, so a crash
 * cannot keep one without the other.
 */
export async function answerPaymentNotification(db: Database, notification: SignedNotification): Promise<HttpAnswer> {
  const { body } = notification;
  const verdict = verifyWebhook({ secrets: paymentWebhookSecrets(), secretsVariable: 'PAYMENT_WEBHOOK_SECRET', body, headers: notification.headers });
  if (!verdict.valid) return problem(401, 'invalid_signature', verdict.problem);

  const parsed = parseJsonBody(body, paymentNotificationBody);
  if (!parsed.ok) return parsed.answer;
  const report = parsed.value;
  try {
    const outcome = await recordPayment(db, { ...report, paidAt: new Date(report.paidAt), webhookId: verdict.id });
    if (outcome.kind === 'amount-mismatch') {
      return problem(422, 'amount_mismatch', `payment ${report.paymentId} is ${report.amountCents} cents but order ${report.orderId} costs ${outcome.expectedCents}`);
    }
    if (outcome.kind === 'already-handled') return { status: 200, body: { received: true, paymentId: report.paymentId, alreadyHandled: true } };
    return { status: 200, body: { received: true, paymentId: report.paymentId } };
  } catch (error) {
    // Answered here, not only by the server: tools and tests call this function directly.
    const answer = problemFor(error);
    if (!answer) throw error;
    return answer;
  }
}

export function paymentNotificationRoutes(db: Database): ApiRoute[] {
  return [
    {
      method: 'POST',
      path: '/api/payments/notify',
      handle: async (request) =>
        answerPaymentNotification(db, { body: await request.text(), headers: webhookHeaders(request.header) }),
    },
  ];
}
