import type { BackoffPolicy } from './types';

/**
 * Delay before the attempt after `failedAttempts` failures: exponential from `baseMs`,
 * capped at `maxMs`, with "equal jitter" (half fixed, half random) so retries of many
 * events failing together spread out yet never fire almost immediately.
 */
export function retryDelayMs(policy: BackoffPolicy, failedAttempts: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
