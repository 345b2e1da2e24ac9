import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signing scheme third parties use for their callbacks to us (payment notifications,
 * WMS dispatch callbacks): HMAC-SHA256 over `${timestamp}.${body}` with a shared secret.
 */

export const SIGNATURE_HEADER = 'x-signature';
export const TIMESTAMP_HEADER = 'x-signature-timestamp';
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

export function signedHeaders(secret: string, body: string, now = new Date()): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body), 'content-type': 'application/json' };
}

export type SignatureVerdict = { valid: true } | { valid: false; problem: string };

export function verifyWebhook(input: { secret: string; body: string; timestamp: string | null; signature: string | null; now?: Date }): SignatureVerdict {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { valid: false, problem: `missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER} header` };
  if (!/^\d{1,12}$/.test(timestamp)) return { valid: false, problem: 'timestamp is not a number of seconds' };
  const ageSeconds = Math.abs((input.now ?? new Date()).getTime() / 1000 - Number(timestamp));
  // Bounds replays of a captured request; symmetric so a skewed provider clock is tolerated too.
  if (ageSeconds > SIGNATURE_TOLERANCE_SECONDS) return { valid: false, problem: 'timestamp outside the 5-minute tolerance' };
  const expected = Buffer.from(signWebhook(input.secret, Number(timestamp), input.body));
  const given = Buffer.from(signature);
  // timingSafeEqual needs equal lengths; the length of a well-formed signature is public anyway.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { valid: false, problem: 'signature does not match' };
  return { valid: true };
}

export function paymentWebhookSecret(): string {
  return process.env.PAYMENT_WEBHOOK_SECRET ?? 'conveyor-dev-payment-secret';
}

export function wmsWebhookSecret(): string {
  return process.env.WMS_WEBHOOK_SECRET ?? 'conveyor-dev-wms-secret';
}
