import { describe, expect, it } from 'vitest';
import { createAddressThrottle } from './address-throttle';

describe('the per-address throttle', () => {
  it('lets an address through up to its rate, then says when to come back', () => {
    let now = 0;
    const throttle = createAddressThrottle(3, () => now);
    expect([throttle.take('10.0.0.1'), throttle.take('10.0.0.1'), throttle.take('10.0.0.1')]).toEqual([null, null, null]);
    expect(throttle.take('10.0.0.1')).toBe(1);
    // Another address has its own allowance.
    expect(throttle.take('10.0.0.2')).toBeNull();
    now = 400;
    expect(throttle.take('10.0.0.1')).toBeNull();
    expect(throttle.take('10.0.0.1')).toBe(1);
  });

  it('never throttles when the rate is 0 (off)', () => {
    const throttle = createAddressThrottle(0);
    for (let i = 0; i < 1_000; i++) expect(throttle.take('10.0.0.1')).toBeNull();
  });
});
