import { describe, expect, it } from 'vitest';
import { signWebhook, signedHeaders, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from './webhook-signature';

const secret = 'test-secret';
const body = '{"paymentId":"pay_1"}';
const now = new Date('2030-01-01T00:00:00Z');
const nowSeconds = now.getTime() / 1000;

describe('verifyWebhook', () => {
  it('accepts a signature made with the shared secret over timestamp.body', () => {
    const headers = signedHeaders(secret, body, now);
    expect(verifyWebhook({ secret, body, timestamp: headers[TIMESTAMP_HEADER]!, signature: headers[SIGNATURE_HEADER]!, now })).toEqual({ valid: true });
  });

  it('rejects a body changed after signing', () => {
    const signature = signWebhook(secret, nowSeconds, body);
    expect(verifyWebhook({ secret, body: body.replace('1', '2'), timestamp: String(nowSeconds), signature, now }).valid).toBe(false);
  });

  it('rejects a signature made with another secret', () => {
    const signature = signWebhook('other', nowSeconds, body);
    expect(verifyWebhook({ secret, body, timestamp: String(nowSeconds), signature, now })).toEqual({ valid: false, problem: 'signature does not match' });
  });

  it('rejects a timestamp older or newer than five minutes, even when correctly signed', () => {
    for (const skew of [-301, 301]) {
      const timestamp = nowSeconds + skew;
      const verdict = verifyWebhook({ secret, body, timestamp: String(timestamp), signature: signWebhook(secret, timestamp, body), now });
      expect(verdict).toEqual({ valid: false, problem: 'timestamp outside the 5-minute tolerance' });
    }
    const edge = nowSeconds - 300;
    expect(verifyWebhook({ secret, body, timestamp: String(edge), signature: signWebhook(secret, edge, body), now }).valid).toBe(true);
  });

  it('rejects missing headers, non-numeric timestamps and truncated signatures', () => {
    const signature = signWebhook(secret, nowSeconds, body);
    expect(verifyWebhook({ secret, body, timestamp: null, signature, now }).valid).toBe(false);
    expect(verifyWebhook({ secret, body, timestamp: String(nowSeconds), signature: null, now }).valid).toBe(false);
    expect(verifyWebhook({ secret, body, timestamp: 'yesterday', signature, now }).valid).toBe(false);
    expect(verifyWebhook({ secret, body, timestamp: String(nowSeconds), signature: signature.slice(0, -1), now }).valid).toBe(false);
  });
});
