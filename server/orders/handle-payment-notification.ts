import { z } from 'zod';
import type { Database } from '@/db/client';
import { DomainError, httpStatusOf } from '@/server/errors';
import type { PlainRoute } from '@/server/integrations/serve-simulators';
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

/** An answer to the provider, whatever serves it: a fetch Response or a plain node:http reply. */
export interface NotificationAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** What the provider sent: the raw body (the signature covers its exact bytes) and the two signature headers. */
export interface SignedNotification {
  body: string;
  timestamp: string | null;
  signature: string | null;
}

/**
 * POST /api/payments/notify. The signature is checked before the body is even parsed, so
 * a forged request learns nothing and changes nothing. Every success (first delivery or
 * any duplicate) gets the same 200 answer, which is what makes the provider stop retrying.
 */
export async function answerPaymentNotification(db: Database, notification: SignedNotification, options: { secret?: string } = {}): Promise<NotificationAnswer> {
  const { body } = notification;
  const verdict = verifyWebhook({ secret: options.secret ?? paymentWebhookSecret(), body, timestamp: notification.timestamp, signature: notification.signature });
  if (!verdict.valid) return { status: 401, body: { error: 'invalid_signature', message: verdict.problem } };

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { status: 400, body: { error: 'malformed_body', message: 'body is not JSON' } };
  }
  const parsed = paymentNotificationBody.safeParse(json);
  if (!parsed.success) {
    return { status: 400, body: { error: 'malformed_body', message: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ') } };
  }

  const report = parsed.data;
  try {
    const outcome = await recordPayment(db, { ...report, paidAt: new Date(report.paidAt) });
    if (outcome.kind === 'amount-mismatch') {
      return {
        status: 422,
        body: { error: 'amount_mismatch', message: `payment ${report.paymentId} is ${report.amountCents} cents but order ${report.orderId} costs ${outcome.expectedCents}` },
      };
    }
    return { status: 200, body: { received: true, paymentId: report.paymentId } };
  } catch (error) {
    if (error instanceof DomainError) return { status: httpStatusOf[error.kind], body: { error: error.kind.toLowerCase(), message: error.message } };
    throw error;
  }
}

/** The endpoint as a fetch handler, for the Next.js route. */
export async function handlePaymentNotification(request: Request, db: Database, options: { secret?: string } = {}): Promise<Response> {
  const answer = await answerPaymentNotification(
    db,
    { body: await request.text(), timestamp: request.headers.get(TIMESTAMP_HEADER), signature: request.headers.get(SIGNATURE_HEADER) },
    options,
  );
  return Response.json(answer.body, { status: answer.status });
}

/**
 * The endpoint as a plain node:http route (serve-simulators.ts): the same answers without
 * building a fetch Request and Response per notification, which on the payment hot path
 * cost the web tier about as much CPU as everything else it does for a notification.
 */
export function paymentNotificationRoute(db: Database): PlainRoute {
  return (request) =>
    answerPaymentNotification(db, { body: request.body, timestamp: headerValue(request.headers[TIMESTAMP_HEADER]), signature: headerValue(request.headers[SIGNATURE_HEADER]) });
}

const headerValue = (value: string | string[] | undefined): string | null => (typeof value === 'string' ? value : null);
