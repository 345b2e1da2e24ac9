import { causes, hasErrorCode } from './error-code';

/**
 * Error codes meaning the database could not be reached or the session to it was lost, as
 * opposed to a query it refused: postgres.js connection codes, socket errors, and the SQLSTATEs
 * of a server shutting down, crashing or still starting (57P01–57P03).
 */
const UNAVAILABLE_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
]);

/**
 * Whether an error (or its cause, as drizzle wraps driver errors) means the database is
 * unavailable. A socket code under a TypeError is someone else's: fetch reports a third party it
 * could not reach as a TypeError ("fetch failed") whose cause carries the same ECONNREFUSED or
 * ECONNRESET, and that third party's outage is not ours to report as the database's.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const current of causes(error)) if (current instanceof TypeError) return false;
  return hasErrorCode(error, UNAVAILABLE_CODES);
}

/** The driver's own words for why (e.g. "connect ECONNREFUSED 127.0.0.1:5432"), without drizzle's "Failed query: …". */
export function databaseUnavailableReason(error: unknown): string {
  let reason = error instanceof Error ? error.message : String(error);
  for (const current of causes(error)) if (current instanceof Error && typeof (current as { code?: unknown }).code === 'string') reason = current.message;
  return reason;
}

/**
 * Runs `attempt` until it succeeds, again after each failure that means the database is
 * unavailable (a process starting while PostgreSQL restarts), until `deadlineMs` has passed.
 * Any other failure, and the last one past the deadline, is thrown.
 */
export async function retryWhileDatabaseUnavailable<T>(
  attempt: () => Promise<T>,
  options: { deadlineMs?: number; intervalMs?: number; onRetry?: (error: unknown) => void } = {},
): Promise<T> {
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() >= deadline) throw error;
      options.onRetry?.(error);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
    }
  }
}
