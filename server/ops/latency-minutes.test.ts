import { describe, expect, it } from 'vitest';
import { quantileMs } from './latency-minutes';

// Buckets (ms): ≤1, ≤2.5, ≤5, ≤10, ≤20, ≤50, ≤100, ≤250, ≤500, ≤1000, ≤2500, ≤5000, above.
const counts = (byBucket: Record<number, number>) => Array.from({ length: 13 }, (_, index) => byBucket[index] ?? 0);

describe('quantiles from bucket counts', () => {
  it('interpolate inside the bucket the rank falls in', () => {
    expect(quantileMs(counts({ 2: 10 }), 0.5)).toBeCloseTo(3.75);
    expect(quantileMs(counts({ 0: 98, 6: 2 }), 0.99)).toBeCloseTo(75);
    expect(quantileMs(counts({ 0: 98, 6: 2 }), 0.5)).toBeCloseTo(0.51, 2);
  });

  it('report the highest bound for requests above it, and nothing without requests', () => {
    expect(quantileMs(counts({ 12: 4 }), 0.99)).toBe(5_000);
    expect(quantileMs(counts({}), 0.5)).toBeNull();
  });
});
