import { sql } from 'drizzle-orm';
import { startPeriodicFlush } from './periodic-flush';
import type { Executor } from '@/db/client';
import { restoreCallCounts, takeCallCounts } from '@/server/integrations/call-tally';
import type { IntegrationName } from '@/server/integrations/integration-client';

/** How long call counts are kept: the longest window a screen shows is an hour. */
const KEPT_FOR = "interval '1 day'";

/** Adds this process's calls since the last write to the current ten seconds' rows; counts a failed write keeps for the next. */
export async function writeCallCounts(db: Executor): Promise<void> {
  const counts = takeCallCounts();
  if (counts.size === 0) return;
  const rows = [...counts];
  try {
    await db.execute(sql`
      insert into third_party_calls as c (integration, slot, successes, failures, last_error)
      select t.integration, to_timestamp(floor(extract(epoch from now()) / 10) * 10), t.successes, t.failures, t.last_error
      from unnest(${sql.param(rows.map(([integration]) => integration))}::text[], ${sql.param(rows.map(([, row]) => row.successes))}::int[],
                  ${sql.param(rows.map(([, row]) => row.failures))}::int[], ${sql.param(rows.map(([, row]) => row.lastError))}::text[]) as t(integration, successes, failures, last_error)
      on conflict (integration, slot) do update
        set successes = c.successes + excluded.successes, failures = c.failures + excluded.failures, last_error = coalesce(excluded.last_error, c.last_error)`);
  } catch (error) {
    restoreCallCounts(counts);
    throw error;
  }
}

/**
 * Writes the calls this process makes to third parties every `everyMs` (default 2 s), and
 * drops counts older than a day. A call never waits on it. Started by every process that
 * calls a third party.
 */
export function startCallRecorder(input: { db: Executor; everyMs?: number; onError?: (error: unknown) => void }) {
  let writes = 0;
  const write = async () => {
    await writeCallCounts(input.db);
    // About once a minute at the default pace: the table stays a day's slots long.
    if (writes++ % 30 === 0) await input.db.execute(sql`delete from third_party_calls where slot < now() - ${sql.raw(KEPT_FOR)}`);
  };
  return startPeriodicFlush(write, { everyMs: input.everyMs ?? 2_000, onError: input.onError });
}

/** Calls to each third party over the last `windowMs`, summed over every process, with the latest failure's message. */
export async function recentCalls(db: Executor, input: { windowMs: number }) {
  return db.execute<{ integration: IntegrationName; successes: number; failures: number; lastError: string | null }>(sql`
    select integration, sum(successes)::int as successes, sum(failures)::int as failures,
           (array_agg(last_error order by slot desc) filter (where last_error is not null))[1] as "lastError"
    from third_party_calls
    where slot > now() - ${input.windowMs} * interval '1 millisecond'
    group by integration`);
}
