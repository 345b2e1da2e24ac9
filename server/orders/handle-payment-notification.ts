import { z } from 'zod';
import type { Executor } from '@/db/client';
import { DomainError, httpStatusOf } from '@/server/errors';
import { paymentWebhookSecret, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from '@/server/integrations/webhook-signature';
import { recordPayment } from './record-payment';

/** What the payment provider posts to /api/payments/notify. */
export const paymentNotificationBody = z.object({
  type: z.literal('payment.succeeded'),
  paymentId: z.string().min(1),
  orderId: z.string().min(1),
  amountCents: z.number().int().positive(),
  paidAt: z.iso.datetime({ offset: true }),
});
export type PaymentNotificationBody = z.infer<typeof paymentNotificationBody>;

function answer(status: number, body: Record<string, unknown>): Response {
  return Response.json(body, { status });
}

/**
 * POST /api/payments/notify. The signature is checked before the body is even parsed, so
 * a forged request learns nothing and changes nothing. Every success (first delivery or
 * any duplicate) gets the same 200 answer, which is what makes the provider stop retrying.
 */
export async function handlePaymentNotification(request: Request, db: Executor, options: { secret?: string } = {}): Promise<Response> {
  const body = await request.text();
  const verdict = verifyWebhook({
    secret: options.secret ?? paymentWebhookSecret(),
    body,
    timestamp: request.headers.get(TIMESTAMP_HEADER),
    signature: request.headers.get(SIGNATURE_HEADER),
  });
  if (!verdict.valid) return answer(401, { error: 'invalid_signature', message: verdict.problem });

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return answer(400, { error: 'malformed_body', message: 'body is not JSON' });
  }
  const parsed = paymentNotificationBody.safeParse(json);
  if (!parsed.success) {
    return answer(400, { error: 'malformed_body', message: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ') });
  }

  const notification = parsed.data;
  try {
    const outcome = await recordPayment(db, { ...notification, paidAt: new Date(notification.paidAt) });
    if (outcome.kind === 'amount-mismatch') {
      return answer(422, {
        error: 'amount_mismatch',
        message: `payment ${notification.paymentId} is ${notification.amountCents} cents but order ${notification.orderId} costs ${outcome.expectedCents}`,
      });
    }
    return answer(200, { received: true, paymentId: notification.paymentId });
  } catch (error) {
    if (error instanceof DomainError) return answer(httpStatusOf[error.kind], { error: error.kind.toLowerCase(), message: error.message });
    throw error;
  }
}
