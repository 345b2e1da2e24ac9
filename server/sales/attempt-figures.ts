import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { startPeriodicFlush } from '@/server/ops/periodic-flush';
import { SALE_DECISION_BUCKETS_MS, type SaleAttemptOutcome } from '@/shared/sales';

type Outcome = SaleAttemptOutcome | 'throttled';

interface SecondCounts {
  saleId: string;
  second: number;
  counts: Record<Outcome, number>;
  buckets: number[];
}

export interface AttemptFigures {
  /** Counts one answered attempt; decision time only for decided ones (a throttled attempt is never decided). */
  count(saleId: string, outcome: Outcome, decisionMs?: number): void;
  stop(): Promise<void>;
}

/**
 * The Sales screen's per-second figures: each order-API process counts its answers in memory
 * and adds them to `sale_attempt_seconds` every `everyMs`, so the attempt path never waits on
 * them and the figures cost one upsert per sale and second, not a write per attempt. The
 * attempts themselves are the ledger; these are only figures, lost for the last second if the
 * process dies.
 */
export function startAttemptFigures(input: { db: Executor; everyMs?: number; onError?: (error: unknown) => void }): AttemptFigures {
  let pending = new Map<string, SecondCounts>();
  const flush = async () => {
    const rows = [...pending.values()];
    pending = new Map();
    for (const row of rows) {
      await input.db.execute(sql`
        insert into sale_attempt_seconds as s (sale_id, second, admitted, sold_out, limit_reached, not_live, throttled, decision_buckets)
        values (${row.saleId}, to_timestamp(${row.second}), ${row.counts.admitted}, ${row.counts.sold_out}, ${row.counts.limit_reached},
                ${row.counts.not_live}, ${row.counts.throttled}, ${sql.param(row.buckets)}::int8[])
        on conflict (sale_id, second) do update set
          admitted = s.admitted + excluded.admitted, sold_out = s.sold_out + excluded.sold_out,
          limit_reached = s.limit_reached + excluded.limit_reached, not_live = s.not_live + excluded.not_live,
          throttled = s.throttled + excluded.throttled,
          decision_buckets = (select array_agg(a + b order by i) from unnest(s.decision_buckets, excluded.decision_buckets) with ordinality as t(a, b, i))`);
    }
  };
  const flushing = startPeriodicFlush(flush, { everyMs: input.everyMs ?? 1_000, onError: input.onError });
  return {
    count(saleId, outcome, decisionMs) {
      const second = Math.floor(Date.now() / 1000);
      const key = `${saleId}\u0000${second}`;
      let row = pending.get(key);
      if (!row) {
        row = { saleId, second, counts: { admitted: 0, sold_out: 0, limit_reached: 0, not_live: 0, throttled: 0 }, buckets: new Array(SALE_DECISION_BUCKETS_MS.length + 1).fill(0) };
        pending.set(key, row);
      }
      row.counts[outcome]++;
      if (decisionMs !== undefined) {
        const bucket = SALE_DECISION_BUCKETS_MS.findIndex((bound) => decisionMs <= bound);
        row.buckets[bucket === -1 ? SALE_DECISION_BUCKETS_MS.length : bucket]!++;
      }
    },
    stop: flushing.stop,
  };
}
