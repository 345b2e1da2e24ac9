import type { Executor } from '@/db/client';
import { FULFILMENT_GROUP, NOTIFICATIONS_GROUP, REFUNDS_GROUP } from '@/server/consumers/groups';
import type { IntegrationName } from '@/server/integrations/integration-client';
import { countRecentAttemptErrors, getHandledCounts } from '@/server/pipeline';

/** The consumer group whose deliveries call each third party (logistics is called by the warehouse, not by us). */
const callerGroup: Record<IntegrationName, string | null> = { payment: REFUNDS_GROUP, wms: FULFILMENT_GROUP, sms: NOTIFICATIONS_GROUP, logistics: null };

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
  const integrations = Object.keys(callerGroup) as IntegrationName[];
  const failures = await countRecentAttemptErrors(db, { windowMs, firstWords: integrations });
  const handled = await getHandledCounts(db, { windowMs });
  return integrations.map((integration) => {
    const group = callerGroup[integration];
    const failed = failures.find((row) => row.firstWord === integration);
    const successes = group ? (handled.find((row) => row.group === group)?.handled ?? 0) : 0;
    const failureCount = failed?.failures ?? 0;
    const total = failureCount + successes;
    return { integration, group, windowMs, failures: failureCount, successes, errorRate: total > 0 ? failureCount / total : null, lastError: failed?.lastError ?? null };
  });
}
