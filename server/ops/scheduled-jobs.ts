import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/**
 * Takes a scheduled job's lease when the job is due (`everyMs` after its last start; 0 means
 * now) and nobody holds it. One UPDATE decides, so across any number of processes exactly
 * one runs the job per period. A process that dies mid-run frees the job when the lease expires.
 */
export async function claimScheduledJob(db: Executor, input: { job: string; owner: string; everyMs: number; leaseMs: number }): Promise<boolean> {
  await db.execute(sql`insert into scheduled_jobs (job) values (${input.job}) on conflict do nothing`);
  const claimed = await db.execute(sql`
    update scheduled_jobs
       set lease_owner = ${input.owner}, lease_expires_at = now() + ${input.leaseMs} * interval '1 millisecond', last_started_at = now()
     where job = ${input.job}
       and (lease_expires_at is null or lease_expires_at < now())
       and (last_started_at is null or last_started_at <= now() - ${input.everyMs} * interval '1 millisecond')
    returning job`);
  return claimed.length === 1;
}

/** Extends the lease by `leaseMs` from now, only if `owner` still holds it; false when it was lost (expired and taken). */
export async function renewScheduledJob(db: Executor, input: { job: string; owner: string; leaseMs: number }): Promise<boolean> {
  const renewed = await db.execute(sql`
    update scheduled_jobs set lease_expires_at = now() + ${input.leaseMs} * interval '1 millisecond'
     where job = ${input.job} and lease_owner = ${input.owner}
    returning job`);
  return renewed.length === 1;
}

/** Gives the lease back, only if still held by `owner`. */
export async function finishScheduledJob(db: Executor, input: { job: string; owner: string; error?: string | null }) {
  await db.execute(sql`
    update scheduled_jobs set lease_owner = null, lease_expires_at = null, last_finished_at = now(), last_error = ${input.error ?? null}
     where job = ${input.job} and lease_owner = ${input.owner}`);
}

export interface ExclusiveJob {
  job: string;
  owner: string;
  everyMs: number;
  leaseMs: number;
  /**
   * Renew the lease this often while the work runs, so the lease can be short: a process that
   * dies stops renewing, and the job is free again `leaseMs` later instead of after a long
   * worst-case run time. Leave unset for work that always ends well within `leaseMs`.
   */
  heartbeatMs?: number;
}

/** Raised into the work (through its signal) when its lease was lost: another process may now run the job. */
export class LeaseLostError extends Error {
  constructor(job: string) {
    super(`Lost the lease of ${job}: it was not renewed in time and another process may have taken the job over.`);
    this.name = 'LeaseLostError';
  }
}

/**
 * Runs `work` only if the lease was taken; returns undefined when another process has the job
 * or it is not due. With `heartbeatMs`, the lease is renewed while `work` runs, and `work`'s
 * signal aborts when a renewal finds the lease gone, so it stops instead of running beside
 * the process that took over.
 */
export async function runExclusively<T>(db: Executor, input: ExclusiveJob, work: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  if (!(await claimScheduledJob(db, input))) return undefined;
  const lease = new AbortController();
  let heartbeat: NodeJS.Timeout | undefined;
  if (input.heartbeatMs) {
    heartbeat = setInterval(() => {
      renewScheduledJob(db, input).then(
        (held) => {
          if (!held) lease.abort(new LeaseLostError(input.job));
        },
        // A renewal that fails (database briefly unreachable) is retried on the next beat; the lease outlives a few beats.
        () => {},
      );
    }, input.heartbeatMs);
    heartbeat.unref();
  }
  try {
    const result = await work(lease.signal);
    await finishScheduledJob(db, { job: input.job, owner: input.owner });
    return result;
  } catch (error) {
    await finishScheduledJob(db, { job: input.job, owner: input.owner, error: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    clearInterval(heartbeat);
  }
}
