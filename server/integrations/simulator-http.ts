import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { SimulatorName } from '@/db/schema';
import { currentFaultSettings, type FaultSettings } from './simulator-settings';

/** Small pieces the simulators share: JSON answers, path matching, and fault injection. */

export function json(status: number, body: unknown): Response {
  return Response.json(body, { status });
}

export function notFound(message: string): Response {
  return json(404, { error: 'not_found', message });
}

export function badRequest(message: string): Response {
  return json(400, { error: 'bad_request', message });
}

/** Matches `/shipments/:orderId/cancel` against a path; returns the named segments, or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const expected = pattern.split('/');
  const actual = path.split('/');
  if (expected.length !== actual.length) return null;
  const params: Record<string, string> = {};
  for (const [index, segment] of expected.entries()) {
    const value = actual[index]!;
    if (segment.startsWith(':')) params[segment.slice(1)] = decodeURIComponent(value);
    else if (segment !== value) return null;
  }
  return params;
}

/**
 * Whether a simulator may call `url` back: only the order API it stands in front of. A real
 * provider calls whatever URL its merchant registered; ours would otherwise POST signed
 * callbacks to any host an anonymous caller names.
 */
export function isMerchantUrl(url: string, merchantOrigins: readonly string[]): boolean {
  const { origin } = new URL(url);
  return merchantOrigins.some((allowed) => new URL(allowed).origin === origin);
}

export function merchantUrlRefused(field: string, merchantOrigins: readonly string[]): Response {
  const origins = [...new Set(merchantOrigins.map((allowed) => new URL(allowed).origin))].join(' or ');
  return badRequest(`${field} must be on the order API's own origin (${origins}): the simulator calls back nowhere else; ORDER_API_URL sets that origin`);
}

/** When a failed callback is tried next, or null when the schedule that began at `firstAttemptAt` is over (given up). */
export function redeliveryAfter(
  failedAttempts: number,
  schedule: { baseMs: number; maxMs: number; giveUpAfterMs: number },
  firstAttemptAt: SQL | AnyColumn,
): { nextAttemptAt: SQL; givenUpAt: SQL } {
  const delayMs = Math.min(schedule.baseMs * 2 ** (failedAttempts - 1), schedule.maxMs);
  const next = sql`now() + make_interval(secs => ${delayMs / 1000})`;
  const pastSchedule = sql`${next} > ${firstAttemptAt} + make_interval(secs => ${schedule.giveUpAfterMs / 1000})`;
  return { nextAttemptAt: sql`case when ${pastSchedule} then null else ${next} end`, givenUpAt: sql`case when ${pastSchedule} then now() end` };
}

export async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    return undefined;
  }
}

export interface FaultOptions {
  /** How long a simulated timeout hangs before answering 504; longer than any client timeout. */
  hangMs: number;
  /** How stale the fault settings may be; tests use 0 so a change applies to the next request. */
  settingsMaxAgeMs?: number;
  random?: () => number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one simulator request under the simulator's current fault settings: latency first;
 * then a timeout or a failure, neither of which applies the request; or the work, whose
 * response may then be "lost" (502) although its effect was committed.
 */
export async function withFaults(db: Executor, simulator: SimulatorName, options: FaultOptions, work: (settings: FaultSettings) => Promise<Response>): Promise<Response> {
  const random = options.random ?? Math.random;
  const settings = await currentFaultSettings(db, simulator, options.settingsMaxAgeMs);
  const latency = settings.latencyMs + random() * settings.jitterMs;
  if (latency > 0) await sleep(latency);
  if (random() < settings.timeoutRate) {
    await sleep(options.hangMs);
    return json(504, { error: 'timeout', message: `simulated ${simulator} timeout (not applied)` });
  }
  if (random() < settings.failureRate) return json(503, { error: 'unavailable', message: `simulated ${simulator} failure (not applied)` });
  const response = await work(settings);
  if (response.ok && random() < settings.lostResponseRate) {
    return json(502, { error: 'response_lost', message: `simulated lost ${simulator} response (the request was applied)` });
  }
  return response;
}
