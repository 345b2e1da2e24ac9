/**
 * Words of flash sales shared by the server and the console's Sales screen (dependency-free).
 * A sale is `scheduled` until its start, `live` while it admits attempts, `paused` while ops
 * hold it, and `ended` for good (sold out, time up, or ended by hand).
 */
export const SALE_STATES = ['scheduled', 'live', 'paused', 'ended'] as const;
export type SaleState = (typeof SALE_STATES)[number];

export const SALE_END_REASONS = ['sold_out', 'time_up', 'manual'] as const;
export type SaleEndReason = (typeof SALE_END_REASONS)[number];

/** What an attempt is answered, once decided; `throttled` is answered at the door and never recorded. */
export const SALE_ATTEMPT_OUTCOMES = ['admitted', 'sold_out', 'limit_reached', 'not_live'] as const;
export type SaleAttemptOutcome = (typeof SALE_ATTEMPT_OUTCOMES)[number];

/** Bounds, in milliseconds, of the decision-time histogram the figures keep per second. */
export const SALE_DECISION_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] as const;
