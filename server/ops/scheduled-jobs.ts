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

/** Gives the lease back, only if still held by `owner`. */
export async function finishScheduledJob(db: Executor, input: { job: string; owner: string; error?: string | null }) {
  await db.execute(sql`
    update scheduled_jobs set lease_owner = null, lease_expires_at = null, last_finished_at = now(), last_error = ${input.error ?? null}
     where job = ${input.job} and lease_owner = ${input.owner}`);
}

/** Runs `work` only if the lease was taken; returns undefined when another process has the job or it is not due. */
export async function runExclusively<T>(db: Executor, input: { job: string; owner: string; everyMs: number; leaseMs: number }, work: () => Promise<T>): Promise<T | undefined> {
  if (!(await claimScheduledJob(db, input))) return undefined;
  try {
    const result = await work();
    await finishScheduledJob(db, { job: input.job, owner: input.owner });
    return result;
  } catch (error) {
    await finishScheduledJob(db, { job: input.job, owner: input.owner, error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}
