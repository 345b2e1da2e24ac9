import { randomUUID } from 'node:crypto';
import { startAtFixedRate } from './fixed-rate';
import { keepAliveClient } from './keep-alive-client';

/** What the order API answers to a sale attempt, plus what the client saw when it got no answer it understood. */
export const ATTEMPT_OUTCOMES = ['admitted', 'sold_out', 'limit_reached', 'not_live', 'throttled'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export interface SaleAttemptsJob {
  /** The order APIs' origins, e.g. http://127.0.0.1:3001; attempts go to each in turn (a retry to its first attempt's). */
  urls: string[];
  saleId: string;
  token: string;
  rate: number;
  durationSeconds: number;
  /** Buyers are drawn at random from this many ids, so some try more than once and meet their limit. */
  buyers: number;
  /** Share of requests that resend an earlier attempt (same buyer, same attempt id), as a client retrying after a lost answer. */
  retryRatio: number;
  /** Prefix of buyer ids, so two runs against one sale do not share buyers unless asked to. */
  buyerPrefix: string;
}

export interface AdmittedAttempt {
  attemptId: string;
  buyerId: string;
  body: Record<string, unknown>;
}

export interface SecondTally {
  second: number;
  sent: number;
  answered: Record<string, number>;
  /** Requests that got no answer: timed out, or the connection failed. */
  failed: number;
}

export interface SaleAttemptsResult {
  sent: number;
  retries: number;
  answered: Record<string, number>;
  /** Requests without an answer, by what happened (timeout, network error). */
  failed: Record<string, number>;
  /** Retries whose answer differed from their attempt's first answer (throttled or failed answers aside): must be 0. */
  retriesAnsweredDifferently: number;
  /** Client-side answer times of every answered request, in ms (sorted). */
  latenciesMs: number[];
  seconds: number;
  admitted: AdmittedAttempt[];
}

/** Every answered request's outcome: the body's `outcome` when it has one, else its HTTP status. */
function outcomeOf(status: number, body: Buffer): { outcome: string; parsed: Record<string, unknown> | null } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (typeof parsed.outcome === 'string') return { outcome: parsed.outcome, parsed };
    return { outcome: `http ${status}`, parsed };
  } catch {
    return { outcome: `http ${status}`, parsed: null };
  }
}

export function attemptPath(saleId: string) {
  return `/api/sales/${encodeURIComponent(saleId)}/attempts`;
}

export function attemptBody(buyerId: string, attemptId: string) {
  return JSON.stringify({ buyerId, attemptId });
}

/**
 * Fires sale attempts open-loop at a fixed rate (the generator every benchmark uses), random
 * buyers, some retries of an earlier attempt id, and tallies the answers by outcome, per
 * second (`onSecond`) and in all. Requests are encoded before the clock starts, so the
 * generator's CPU during the run is only writes and reads.
 */
export async function driveSaleAttempts(job: SaleAttemptsJob, onSecond?: (tally: SecondTally) => void): Promise<SaleAttemptsResult> {
  // As many connections as a few storefront servers would hold open to the order API.
  const clients = job.urls.map((url) => keepAliveClient(url, { timeoutMs: 30_000, maxConnections: Math.ceil(1_000 / job.urls.length) }));
  const clientOf = (index: number) => clients[index % clients.length]!;
  const total = Math.round(job.rate * job.durationSeconds);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${job.token}` };
  const path = attemptPath(job.saleId);
  const requests: Buffer[] = new Array(total);
  /** For each request, the index of the request that first sent its attempt id (itself unless a retry). */
  const firstOf = new Int32Array(total);
  const buyerOf: string[] = new Array(total);
  const attemptOf: string[] = new Array(total);
  let retries = 0;
  for (let index = 0; index < total; index++) {
    // A retry resends one of the last thousand attempts, as a client does soon after a lost answer.
    if (index > 0 && Math.random() < job.retryRatio) {
      const original = firstOf[Math.max(0, index - 1 - Math.floor(Math.random() * Math.min(index, 1_000)))]!;
      firstOf[index] = original;
      requests[index] = requests[original]!;
      retries++;
      continue;
    }
    firstOf[index] = index;
    buyerOf[index] = `${job.buyerPrefix}${Math.floor(Math.random() * job.buyers)}`;
    attemptOf[index] = randomUUID();
    requests[index] = clientOf(index).prepare(path, headers, attemptBody(buyerOf[index]!, attemptOf[index]!));
  }

  const answered: Record<string, number> = {};
  const failed: Record<string, number> = {};
  const outcomes: (string | undefined)[] = new Array(total);
  const latenciesMs: number[] = [];
  const admitted: AdmittedAttempt[] = [];
  let second: SecondTally = { second: 1, sent: 0, answered: {}, failed: 0 };
  const started = performance.now();
  const ticker = setInterval(() => {
    onSecond?.(second);
    second = { second: second.second + 1, sent: 0, answered: {}, failed: 0 };
  }, 1_000);
  const count = (outcome: string) => {
    answered[outcome] = (answered[outcome] ?? 0) + 1;
    second.answered[outcome] = (second.answered[outcome] ?? 0) + 1;
  };

  try {
    await startAtFixedRate(job.rate, total, async (index) => {
      second.sent++;
      const sentAt = performance.now();
      try {
        const answer = await clientOf(firstOf[index]!).answer(requests[index]!);
        latenciesMs.push(performance.now() - sentAt);
        const { outcome, parsed } = outcomeOf(answer.status, answer.body);
        count(outcome);
        outcomes[index] = outcome;
        const first = firstOf[index]!;
        if (first === index && outcome === 'admitted') admitted.push({ attemptId: attemptOf[index]!, buyerId: buyerOf[index]!, body: parsed ?? {} });
      } catch (error) {
        const kind = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network error';
        failed[kind] = (failed[kind] ?? 0) + 1;
        second.failed++;
      }
    });
  } finally {
    clearInterval(ticker);
  }
  onSecond?.(second);

  // Compared once every answer is in: a retry may be answered before its original.
  const settled = (outcome: string | undefined) => outcome !== undefined && (ATTEMPT_OUTCOMES as readonly string[]).includes(outcome) && outcome !== 'throttled';
  let retriesAnsweredDifferently = 0;
  for (let index = 0; index < total; index++) {
    const first = firstOf[index]!;
    if (first === index) continue;
    if (settled(outcomes[index]) && settled(outcomes[first]) && outcomes[index] !== outcomes[first]) retriesAnsweredDifferently++;
  }
  latenciesMs.sort((a, b) => a - b);
  return { sent: total, retries, answered, failed, retriesAnsweredDifferently, latenciesMs, seconds: (performance.now() - started) / 1_000, admitted };
}

/** One line for a second of the run: sent, and answered by outcome. */
export function formatSecond(tally: SecondTally): string {
  const outcomes = Object.entries(tally.answered)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([outcome, count]) => `${outcome} ${count}`)
    .join(', ');
  return `[${String(tally.second).padStart(3)}s] sent ${String(tally.sent).padStart(6)}  answered ${outcomes || 'none'}${tally.failed ? `  no answer ${tally.failed}` : ''}`;
}
