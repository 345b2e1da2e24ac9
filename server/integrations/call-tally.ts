import type { IntegrationName } from './integration-client';

export interface CallCounts {
  successes: number;
  failures: number;
  lastError: string | null;
}

/**
 * This process's calls to each third party since the recorder last took them. On globalThis:
 * Next.js may load this module more than once in the console (instrumentation and routes are
 * bundled apart), and the recorder must see the calls every copy counted.
 */
const globalForCalls = globalThis as unknown as { conveyorCallTally?: Map<IntegrationName, CallCounts> };
const tally = (globalForCalls.conveyorCallTally ??= new Map<IntegrationName, CallCounts>());

/** Counts one call's end; every call counts, whoever made it (a first delivery, a retry, a replay, a console action). */
export function countCall(integration: IntegrationName, outcome: { ok: true } | { ok: false; error: string }): void {
  const counts = tally.get(integration) ?? { successes: 0, failures: 0, lastError: null };
  if (outcome.ok) counts.successes++;
  else {
    counts.failures++;
    counts.lastError = outcome.error;
  }
  tally.set(integration, counts);
}

/** The counts so far, which are then forgotten here: the caller owns writing them. */
export function takeCallCounts(): Map<IntegrationName, CallCounts> {
  const taken = new Map(tally);
  tally.clear();
  return taken;
}

/** Gives back counts whose write failed, so the next write carries them. */
export function restoreCallCounts(counts: Map<IntegrationName, CallCounts>): void {
  for (const [integration, restored] of counts) {
    const current = tally.get(integration);
    tally.set(integration, {
      successes: restored.successes + (current?.successes ?? 0),
      failures: restored.failures + (current?.failures ?? 0),
      lastError: current?.lastError ?? restored.lastError,
    });
  }
}
