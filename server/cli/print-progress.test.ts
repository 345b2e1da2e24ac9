import { afterEach, describe, expect, it, vi } from 'vitest';
import { withProgress } from './print-progress';

afterEach(() => {
  vi.useRealTimers();
});

describe('a long phase of a command', () => {
  it('prints how long it has run and its report every few seconds, then how long it took', async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    let handled = 0;
    let finish!: () => void;
    const phase = withProgress('drain', () => new Promise<string>((resolve) => (finish = () => resolve('drained'))), {
      everyMs: 5_000,
      log: (line) => lines.push(line),
      now: () => Date.now(),
      report: () => `${handled} handled`,
    });
    handled = 120;
    await vi.advanceTimersByTimeAsync(5_000);
    handled = 480;
    await vi.advanceTimersByTimeAsync(5_000);
    await vi.advanceTimersByTimeAsync(2_500);
    finish();
    expect(await phase).toBe('drained');
    expect(lines).toEqual(['drain: 5 s, 120 handled', 'drain: 10 s, 480 handled', 'drain: done in 12.5 s']);
  });

  it('keeps going when its report fails, and stops printing once the work threw', async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    let fail!: (error: Error) => void;
    const phase = withProgress('seed', () => new Promise((_, reject) => (fail = reject)), {
      everyMs: 1_000,
      log: (line) => lines.push(line),
      now: () => Date.now(),
      report: () => Promise.reject(new Error('database restarting')),
    });
    await vi.advanceTimersByTimeAsync(1_000);
    fail(new Error('disk full'));
    await expect(phase).rejects.toThrow('disk full');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lines).toEqual(['seed: 1 s, progress unknown (database restarting)']);
  });
});
