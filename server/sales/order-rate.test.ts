import { afterEach, describe, expect, it, vi } from 'vitest';
import { createOrderRate } from './order-rate';

afterEach(() => {
  vi.useRealTimers();
});

describe('the peak shaver’s pace', () => {
  it('lets a second’s allowance through, then holds each batch until its orders’ slots come', async () => {
    vi.useFakeTimers();
    const rate = createOrderRate(10, () => Date.now());
    const released: number[] = [];
    const start = Date.now();
    const batches = [5, 5, 5].map((orders) => rate.take(orders).then(() => released.push(Date.now() - start)));
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toEqual([0]);
    await vi.advanceTimersByTimeAsync(500);
    expect(released).toEqual([0, 500]);
    await vi.advanceTimersByTimeAsync(500);
    await Promise.all(batches);
    expect(released).toEqual([0, 500, 1000]);
  });
});
