import { describe, expect, it } from 'vitest';
import { traceIdOf } from './trace-context';

describe('the trace id the order page shows for an event', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

  it('is the traceparent header’s trace id when the trace was sampled', () => {
    expect(traceIdOf(`00-${traceId}-00f067aa0ba902b7-01`)).toBe(traceId);
  });

  it('is null for a trace the sampler left out, which no backend holds', () => {
    expect(traceIdOf(`00-${traceId}-00f067aa0ba902b7-00`)).toBeNull();
  });

  it('is null for an event appended untraced or with a malformed header', () => {
    expect(traceIdOf(null)).toBeNull();
    expect(traceIdOf(undefined)).toBeNull();
    expect(traceIdOf('garbage')).toBeNull();
    expect(traceIdOf(`00-${traceId.toUpperCase()}-00f067aa0ba902b7-01`)).toBeNull();
  });
});
