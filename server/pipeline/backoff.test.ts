import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff';

const policy = { baseMs: 100, maxMs: 10_000 };

describe('retryDelayMs', () => {
  it('doubles the delay window with each failed attempt', () => {
    expect(retryDelayMs(policy, 1, () => 1)).toBe(100);
    expect(retryDelayMs(policy, 2, () => 1)).toBe(200);
    expect(retryDelayMs(policy, 3, () => 1)).toBe(400);
  });

  it('never waits less than half the window nor more than the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (attempt, r) => {
        const window = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
        const delay = retryDelayMs(policy, attempt, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(window / 2));
        expect(delay).toBeLessThanOrEqual(policy.maxMs);
      }),
    );
  });

  it('spreads retries of events that failed together', () => {
    const delays = new Set(Array.from({ length: 20 }, () => retryDelayMs(policy, 5)));
    expect(delays.size).toBeGreaterThan(1);
  });
});
