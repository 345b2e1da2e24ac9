import { describe, expect, it } from 'vitest';
import { rangeEndAhead, toDateInput } from './format';

describe('the end of a range that must include the next moments', () => {
  it('is at least a minute ahead and still so once cut to the minute by a datetime-local input', () => {
    for (const now of ['2026-12-03T10:00:00.000Z', '2026-12-03T10:00:59.900Z', '2026-12-03T23:59:30.000Z']) {
      const end = rangeEndAhead(new Date(now));
      const asTheInputHoldsIt = new Date(toDateInput(end));
      expect(asTheInputHoldsIt.getTime() - new Date(now).getTime()).toBeGreaterThanOrEqual(60_000);
    }
  });
});
