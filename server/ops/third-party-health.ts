import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { IntegrationName } from '@/server/integrations/integration-client';

/** The consumer group whose deliveries call each third party (logistics is called by the warehouse, not by us). */
const callerGroup: Record<IntegrationName, string | null> = { payment: 'refunds', wms: 'fulfillment', sms: 'notifications', logistics: null };

export interface ThirdPartyHealth {
  integration: IntegrationName;
  group: string | null;
  windowMs: number;
  /** Failed attempts whose error names this third party (HTTP status, timeout, network). */
  failures: number;
  /** Deliveries the calling group completed in the window. */
  successes: number;
  /** failures / (failures + successes); null when nothing was observed. */
  errorRate: number | null;
  lastError: string | null;
}

/**
 * The error rate we observe calling each third party over the last minutes, from what the
 * pipeline records: every failed attempt keeps its error (prefixed with the integration's
 * name) in retries or dead letters, and lag samples count successful deliveries per group.
 * It is the rate seen by our consumers, which is what matters when deciding to act.
 */
export async function getThirdPartyHealth(db: Executor, options: { windowMs?: number } = {}): Promise<ThirdPartyHealth[]> {
  const windowMs = options.windowMs ?? 5 * 60_000;
  const failures = await db.execute<{ integration: string; failures: number; lastError: string | null }>(sql`
    with attempts as (
      select a->>'message' as message, (a->>'at')::timestamptz as at from retries r, jsonb_array_elements(r.errors) a
      where r.updated_at >= now() - ${windowMs} * interval '1 millisecond'
      union all
      select a->>'message', (a->>'at')::timestamptz from dead_letters d, jsonb_array_elements(d.errors) a
      where d.dead_at >= now() - ${windowMs} * interval '1 millisecond'
    )
    select split_part(message, ' ', 1) as integration, count(*)::int as failures,
           (array_agg(message order by at desc))[1] as "lastError"
    from attempts
    where at >= now() - ${windowMs} * interval '1 millisecond' and split_part(message, ' ', 1) in ('payment', 'wms', 'logistics', 'sms')
    group by 1`);
  const handled = await db.execute<{ group: string; handled: number }>(sql`
    select "group", greatest(max(handled_count) - min(handled_count), 0)::int as handled
    from lag_samples where sampled_at >= now() - ${windowMs} * interval '1 millisecond'
    group by "group"`);
  return (Object.keys(callerGroup) as IntegrationName[]).map((integration) => {
    const group = callerGroup[integration];
    const failed = failures.find((row) => row.integration === integration);
    const successes = group ? (handled.find((row) => row.group === group)?.handled ?? 0) : 0;
    const failureCount = failed?.failures ?? 0;
    const total = failureCount + successes;
    return { integration, group, windowMs, failures: failureCount, successes, errorRate: total > 0 ? failureCount / total : null, lastError: failed?.lastError ?? null };
  });
}
