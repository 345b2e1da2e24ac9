import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { SettingError } from '@/server/runtime/settings';

/**
 * The signing scheme of third parties' callbacks to us (payment notifications, WMS dispatch
 * callbacks): Standard Webhooks (https://www.standardwebhooks.com). The sender signs
 * `${webhook-id}.${webhook-timestamp}.${body}` with HMAC-SHA256 under a `whsec_<base64>`
 * secret and sends `webhook-signature: v1,<base64>`, one signature per secret it holds,
 * space-separated, so a secret can be rotated without a moment in which deliveries fail.
 * The HMAC and its comparison are the `standardwebhooks` package's, not ours.
 */

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';
/** Fixed by the standardwebhooks package: a delivery signed longer ago (or ahead) than this is refused. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/**
 * The secrets used when PAYMENT_WEBHOOK_SECRET / WMS_WEBHOOK_SECRET are unset: demo mode only.
 * They are in the repository, so anyone can sign with them; production refuses to start with them.
 */
export const DEMO_PAYMENT_WEBHOOK_SECRET = 'whsec_ifH2AjYQV0FfwzmufWu/kxVg6mkDz/xyFsU3GdlU74M=';
export const DEMO_WMS_WEBHOOK_SECRET = 'whsec_M+uVOW6pioHNYCEXVRxsFDXVSCBCBqxMhXD38Yj+eLw=';

const SECRET_PREFIX = 'whsec_';
// The specification's bounds for a secret's key.
const SECRET_MIN_BYTES = 24;
const SECRET_MAX_BYTES = 64;
const MAX_WEBHOOK_ID_LENGTH = 255;

/** A new secret in the format senders and we expect, e.g. for PAYMENT_WEBHOOK_SECRET. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

function isWellFormedSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return false;
  const bytes = Buffer.from(encoded, 'base64').length;
  return bytes >= SECRET_MIN_BYTES && bytes <= SECRET_MAX_BYTES;
}

const parsedSecrets = new Map<string, readonly string[]>();

/**
 * The secrets in a variable: one or more `whsec_` secrets separated by spaces (several while a
 * secret is being rotated). Unset: the demo secret. A malformed value throws a SettingError that
 * names the variable and which entry is wrong, never the value.
 */
export function webhookSecretsSetting(variable: string, demoSecret: string): readonly string[] {
  const raw = process.env[variable]?.trim();
  if (!raw) return [demoSecret];
  let secrets = parsedSecrets.get(raw);
  if (!secrets) {
    const entries = raw.split(/\s+/);
    const malformed = entries.findIndex((entry) => !isWellFormedSecret(entry));
    if (malformed >= 0) {
      throw new SettingError(
        variable,
        `${variable} must be one or more space-separated secrets of the form whsec_<base64 of ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} bytes>; ` +
          `entry ${malformed + 1} of ${entries.length} is not (make one with: node -e "console.log('whsec_'+require('crypto').randomBytes(32).toString('base64'))")`,
      );
    }
    secrets = entries;
    parsedSecrets.set(raw, secrets);
  }
  return secrets;
}

/** Every secret a payment notification may be signed with (PAYMENT_WEBHOOK_SECRET). */
export function paymentWebhookSecrets(): readonly string[] {
  return webhookSecretsSetting('PAYMENT_WEBHOOK_SECRET', DEMO_PAYMENT_WEBHOOK_SECRET);
}

/** Every secret a WMS callback may be signed with (WMS_WEBHOOK_SECRET). */
export function wmsWebhookSecrets(): readonly string[] {
  return webhookSecretsSetting('WMS_WEBHOOK_SECRET', DEMO_WMS_WEBHOOK_SECRET);
}

/**
 * The headers a sender puts on one delivery: the message id (the same on every redelivery of
 * one message, which is what we deduplicate by), the time of this attempt, and one `v1`
 * signature per secret.
 */
export function signedHeaders(secrets: string | readonly string[], body: string, options: { id?: string; at?: Date } = {}): Record<string, string> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  const signatures = (typeof secrets === 'string' ? [secrets] : secrets).map((secret) => new Webhook(secret).sign(id, at, body));
  return {
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(Math.floor(at.getTime() / 1000)),
    [WEBHOOK_SIGNATURE_HEADER]: signatures.join(' '),
    'content-type': 'application/json',
  };
}

export interface WebhookHeaders {
  id: string | null;
  timestamp: string | null;
  signature: string | null;
}

/** The three Standard Webhooks headers of a request, by a lookup that returns null for an absent header. */
export function webhookHeaders(header: (name: string) => string | null): WebhookHeaders {
  return { id: header(WEBHOOK_ID_HEADER), timestamp: header(WEBHOOK_TIMESTAMP_HEADER), signature: header(WEBHOOK_SIGNATURE_HEADER) };
}

export type WebhookVerdict = { valid: true; id: string } | { valid: false; problem: string };

const verifiers = new Map<string, Webhook>();
function verifierFor(secret: string): Webhook {
  let verifier = verifiers.get(secret);
  if (!verifier) verifiers.set(secret, (verifier = new Webhook(secret)));
  return verifier;
}

/**
 * Checks a delivery against every secret we hold (`secretsVariable` names where they come from,
 * for the message); valid when any of them verifies it. Each problem is said so that whoever
 * runs the sender can fix it.
 */
export function verifyWebhook(input: { secrets: readonly string[]; secretsVariable: string; body: string; headers: WebhookHeaders }): WebhookVerdict {
  const { id, timestamp, signature } = input.headers;
  const missing = [id ? null : WEBHOOK_ID_HEADER, timestamp ? null : WEBHOOK_TIMESTAMP_HEADER, signature ? null : WEBHOOK_SIGNATURE_HEADER].filter(Boolean);
  if (missing.length > 0) {
    return { valid: false, problem: `missing ${missing.join(', ')} header${missing.length > 1 ? 's' : ''}: sign the request as Standard Webhooks (https://www.standardwebhooks.com) describe` };
  }
  if (id!.length > MAX_WEBHOOK_ID_LENGTH) return { valid: false, problem: `${WEBHOOK_ID_HEADER} is longer than ${MAX_WEBHOOK_ID_LENGTH} characters` };
  // The package would read "12abc" as 12; a timestamp is whole seconds and nothing else.
  if (!/^\d{1,12}$/.test(timestamp!)) return { valid: false, problem: `${WEBHOOK_TIMESTAMP_HEADER} must be whole seconds since 1970 (UTC), e.g. ${Math.floor(Date.now() / 1000)}` };
  const skewSeconds = Math.round(Date.now() / 1000 - Number(timestamp));
  if (Math.abs(skewSeconds) > WEBHOOK_TOLERANCE_SECONDS) {
    return {
      valid: false,
      problem:
        `${WEBHOOK_TIMESTAMP_HEADER} is ${Math.abs(skewSeconds)} s ${skewSeconds > 0 ? 'old' : 'in the future'}, outside the ${WEBHOOK_TOLERANCE_SECONDS / 60}-minute tolerance: ` +
        `sign every delivery attempt afresh with the current time, and check the sender's clock`,
    };
  }
  if (!signature!.split(' ').some((versioned) => versioned.startsWith('v1,'))) {
    return { valid: false, problem: `${WEBHOOK_SIGNATURE_HEADER} holds no v1 signature: only "v1,<base64 HMAC-SHA256>" signatures are accepted` };
  }
  const headers = { [WEBHOOK_ID_HEADER]: id!, [WEBHOOK_TIMESTAMP_HEADER]: timestamp!, [WEBHOOK_SIGNATURE_HEADER]: signature! };
  for (const secret of input.secrets) {
    try {
      verifierFor(secret).verify(input.body, headers, { jsonParse: false });
      return { valid: true, id: id! };
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
    }
  }
  return {
    valid: false,
    problem: `no signature in ${WEBHOOK_SIGNATURE_HEADER} matches a secret in ${input.secretsVariable}: the sender must sign the exact body with a secret we hold (during a rotation, both are in ${input.secretsVariable})`,
  };
}
