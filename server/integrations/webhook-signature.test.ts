import { afterEach, describe, expect, it, vi } from 'vitest';
import { SettingError } from '@/server/runtime/settings';
import {
  DEMO_PAYMENT_WEBHOOK_SECRET,
  generateWebhookSecret,
  signedHeaders,
  verifyWebhook,
  webhookHeaders,
  webhookSecretsSetting,
  type WebhookHeaders,
} from './webhook-signature';

// The published test vector of the Standard Webhooks specification and its reference libraries.
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const vectorHeaders: WebhookHeaders = { id: vector.id, timestamp: vector.timestamp, signature: vector.signature };
const verify = (headers: WebhookHeaders, secrets = [vector.secret], body = vector.body) => verifyWebhook({ secrets, secretsVariable: 'PAYMENT_WEBHOOK_SECRET', body, headers });

function atVectorTime(offsetSeconds = 0) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime((Number(vector.timestamp) + offsetSeconds) * 1000);
}
afterEach(() => vi.useRealTimers());

describe('verifyWebhook on the specification test vector', () => {
  it('accepts the published signature, and signs the vector to exactly it', () => {
    atVectorTime();
    expect(verify(vectorHeaders)).toEqual({ valid: true, id: vector.id });
    const signed = signedHeaders(vector.secret, vector.body, { id: vector.id, at: new Date(Number(vector.timestamp) * 1000) });
    expect(signed).toMatchObject({ 'webhook-id': vector.id, 'webhook-timestamp': vector.timestamp, 'webhook-signature': vector.signature });
  });

  it('refuses a request missing any one of the three headers, naming it', () => {
    atVectorTime();
    expect(verify({ ...vectorHeaders, id: null })).toEqual({ valid: false, problem: expect.stringMatching(/^missing webhook-id header/) });
    expect(verify({ ...vectorHeaders, timestamp: null })).toEqual({ valid: false, problem: expect.stringMatching(/^missing webhook-timestamp header/) });
    expect(verify({ ...vectorHeaders, signature: null })).toEqual({ valid: false, problem: expect.stringMatching(/^missing webhook-signature header/) });
    expect(verify({ id: null, timestamp: null, signature: null }).valid).toBe(false);
  });

  it('refuses a partial signature', () => {
    atVectorTime();
    for (const partial of [vector.signature.slice(0, -1), vector.signature.slice(0, 10), 'v1,', 'v1']) {
      expect(verify({ ...vectorHeaders, signature: partial }).valid, partial).toBe(false);
    }
    expect(verify({ ...vectorHeaders, signature: vector.signature.slice(0, -1) })).toEqual({ valid: false, problem: expect.stringContaining('matches a secret in PAYMENT_WEBHOOK_SECRET') });
  });

  it('refuses a timestamp outside the five-minute tolerance either way, and accepts one at its edge', () => {
    for (const offset of [-301, 301]) {
      atVectorTime(offset);
      expect(verify(vectorHeaders)).toEqual({ valid: false, problem: expect.stringContaining('outside the 5-minute tolerance') });
    }
    atVectorTime(300);
    expect(verify(vectorHeaders)).toMatchObject({ valid: true });
    atVectorTime();
    expect(verify({ ...vectorHeaders, timestamp: '1614265330abc' })).toEqual({ valid: false, problem: expect.stringContaining('whole seconds') });
  });

  it('refuses a signature of an unknown version, even with the right bytes', () => {
    atVectorTime();
    const v2 = vector.signature.replace('v1,', 'v2,');
    expect(verify({ ...vectorHeaders, signature: v2 })).toEqual({ valid: false, problem: expect.stringContaining('holds no v1 signature') });
    expect(verify({ ...vectorHeaders, signature: `v1a,${vector.signature.slice(3)}` }).valid).toBe(false);
  });

  it('refuses a changed body, a changed id and another secret', () => {
    atVectorTime();
    expect(verify(vectorHeaders, [vector.secret], '{"test": 2432232315}').valid).toBe(false);
    expect(verify({ ...vectorHeaders, id: 'msg_other' }).valid).toBe(false);
    expect(verify(vectorHeaders, [generateWebhookSecret()]).valid).toBe(false);
  });
});

describe('rotation', () => {
  const oldSecret = generateWebhookSecret();
  const newSecret = generateWebhookSecret();
  const body = '{"paymentId":"pay_1"}';
  const fromSender = (secrets: string[]) => webhookHeaders((name) => signedHeaders(secrets, body, { id: 'msg_rotation' })[name] ?? null);

  it('accepts a delivery verified by any secret held, whichever the sender signed with', () => {
    for (const signedWith of [[oldSecret], [newSecret], [oldSecret, newSecret], [generateWebhookSecret(), newSecret]]) {
      expect(verify(fromSender(signedWith), [oldSecret, newSecret], body)).toMatchObject({ valid: true });
    }
    expect(verify(fromSender([oldSecret]), [newSecret], body).valid).toBe(false);
  });

  it('reads several space-separated secrets from the variable, and refuses a malformed one without echoing it', () => {
    vi.stubEnv('ROTATION_TEST_SECRET', `  ${oldSecret}   ${newSecret} `);
    expect(webhookSecretsSetting('ROTATION_TEST_SECRET', DEMO_PAYMENT_WEBHOOK_SECRET)).toEqual([oldSecret, newSecret]);
    vi.stubEnv('ROTATION_TEST_SECRET', '');
    expect(webhookSecretsSetting('ROTATION_TEST_SECRET', DEMO_PAYMENT_WEBHOOK_SECRET)).toEqual([DEMO_PAYMENT_WEBHOOK_SECRET]);
    for (const malformed of [`${oldSecret} conveyor-dev-payment-secret`, `${oldSecret} whsec_c2hvcnQ=`, 'whsec_not base64!']) {
      vi.stubEnv('ROTATION_TEST_SECRET', malformed);
      expect(() => webhookSecretsSetting('ROTATION_TEST_SECRET', DEMO_PAYMENT_WEBHOOK_SECRET)).toThrow(SettingError);
    }
    vi.stubEnv('ROTATION_TEST_SECRET', `${oldSecret} conveyor-dev-payment-secret`);
    expect(() => webhookSecretsSetting('ROTATION_TEST_SECRET', DEMO_PAYMENT_WEBHOOK_SECRET)).toThrow(/^ROTATION_TEST_SECRET must be .*entry 2 of 2 is not/);
    expect(() => webhookSecretsSetting('ROTATION_TEST_SECRET', DEMO_PAYMENT_WEBHOOK_SECRET)).not.toThrow(/conveyor-dev-payment-secret/);
    vi.unstubAllEnvs();
  });
});
