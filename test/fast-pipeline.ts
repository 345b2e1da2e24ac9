import type { StartPipelineOptions } from '@/server/pipeline';

/** Timings that keep takeover and retry tests to a second or two instead of the production defaults. */
export const fastPipelineOptions = {
  partitions: 4,
  leaseMs: 1_000,
  pollIntervalMs: 50,
  leaderRetryMs: 200,
  sampleIntervalMs: 200,
} satisfies Partial<StartPipelineOptions>;
