import { describe, expect, it } from 'vitest';
import { countCall, restoreCallCounts, takeCallCounts } from './call-tally';

describe('the call tally', () => {
  it('hands its counts over once, and takes back counts whose write failed so the next write carries them', () => {
    takeCallCounts();
    countCall('sms', { ok: false, error: 'sms send sms: HTTP 503' });
    countCall('sms', { ok: true });
    countCall('wms', { ok: true });
    const taken = takeCallCounts();
    expect(Object.fromEntries(taken)).toEqual({
      sms: { successes: 1, failures: 1, lastError: 'sms send sms: HTTP 503' },
      wms: { successes: 1, failures: 0, lastError: null },
    });
    expect(takeCallCounts().size).toBe(0);

    countCall('sms', { ok: true });
    restoreCallCounts(taken);
    expect(Object.fromEntries(takeCallCounts())).toEqual({
      sms: { successes: 2, failures: 1, lastError: 'sms send sms: HTTP 503' },
      wms: { successes: 1, failures: 0, lastError: null },
    });
  });
});
