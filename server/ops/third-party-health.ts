import type { Executor } from '@/db/client';
import { FULFILMENT_GROUP, NOTIFICATIONS_GROUP, REFUNDS_GROUP } from '@/server/consumers/groups';
import type { IntegrationName } from '@/server/integrations/integration-client';
import { recentCalls } from './third-party-calls';

/** The consumer group whose deliveries call each third party (logistics is called by the warehouse, not by us). */
const callerGroup: Record<IntegrationName, string | null> = { payment: REFUNDS_GROUP, wms: FULFILMENT_GROUP, sms: NOTIFICATIONS_GROUP, logistics: null };

/** The window the Overview judges a third party by: short, so a recovery shows within a minute. */
export const THIRD_PARTY_WINDOW_MS = 60_000;

export interface ThirdPartyHealth {
  integration: IntegrationName;
  group: string | null;
  windowMs: number;
  /** Calls that failed: an HTTP error status, a timeout, a network error, an unreadable answer. */
  failures: number;
  /** Calls answered as asked. */
  successes: number;
  /** failures / (failures + successes); null when nothing was called. */
  errorRate: number | null;
  lastError: string | null;
}

/**
 * The error rate we observe calling each third party over the last `windowMs`, from every
 * call our processes made (first deliveries, retries, replays, console actions, reconciliation
 * queries), so it moves with the calls: a recovered third party is green once its failed
 * calls are older than the window.
 */
export async function getThirdPartyHealth(db: Executor, options: { windowMs?: number } = {}): Promise<ThirdPartyHealth[]> {
  const windowMs = options.windowMs ?? THIRD_PARTY_WINDOW_MS;
  const calls = await recentCalls(db, { windowMs });
  return (Object.keys(callerGroup) as IntegrationName[]).map((integration) => {
    const called = calls.find((row) => row.integration === integration);
    const failures = called?.failures ?? 0;
    const successes = called?.successes ?? 0;
    const total = failures + successes;
    return { integration, group: callerGroup[integration], windowMs, failures, successes, errorRate: total > 0 ? failures / total : null, lastError: called?.lastError ?? null };
  });
}
