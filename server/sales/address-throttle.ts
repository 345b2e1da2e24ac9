/**
 * Attempts per client address, a token bucket per address in this process's memory: the door
 * turns away a bot hammering from one address before it costs a database statement. It is per
 * process on purpose (nothing shared to wait on); N order-API processes let an address through
 * N times as often, which the per-buyer limit, decided in the database, does not depend on.
 */
export interface AddressThrottle {
  /** null when the attempt may go on, else the seconds after which the address may try again. */
  take(address: string): number | null;
}

/** Buckets kept before idle ones (full again) are dropped, so strangers cannot grow the map without bound. */
const SWEEP_ABOVE = 10_000;

export function createAddressThrottle(perSecond: number, now: () => number = Date.now): AddressThrottle {
  if (perSecond === 0) return { take: () => null };
  const burst = perSecond;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (bucket: { tokens: number; at: number }, at: number) => {
    bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * perSecond);
    bucket.at = at;
  };
  return {
    take(address) {
      const at = now();
      if (buckets.size > SWEEP_ABOVE) {
        for (const [key, bucket] of buckets) {
          refill(bucket, at);
          if (bucket.tokens >= burst) buckets.delete(key);
        }
      }
      let bucket = buckets.get(address);
      if (!bucket) {
        bucket = { tokens: burst, at };
        buckets.set(address, bucket);
      }
      refill(bucket, at);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return null;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
    },
  };
}
