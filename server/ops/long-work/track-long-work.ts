import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { longWork } from '@/db/schema';
import { replayProgress } from '@/server/pipeline';

/**
 * Brings every running work's counts up to date, one statement per running work and only
 * when a count moved, so however fast its rows go a work is written about once per call
 * (the worker calls this every second). A work ends when every part of it has ended.
 */
export async function trackLongWork(db: Executor): Promise<{ tracked: number; finished: number }> {
  const running = await db
    .select({ id: longWork.id, kind: longWork.kind, total: longWork.total, done: longWork.done, failures: longWork.failures, subject: longWork.subject })
    .from(longWork)
    .where(eq(longWork.state, 'running'));
  let finished = 0;
  for (const work of running) {
    const progress = await replayProgress(db, work.subject.deadLetterIds);
    const ended = progress.done >= work.total;
    if (!ended && progress.done === work.done && progress.failures === work.failures) continue;
    await db
      .update(longWork)
      .set({
        done: Math.min(progress.done, work.total),
        failures: progress.failures,
        updatedAt: sql`now()`,
        ...(ended ? { state: 'finished' as const, finishedAt: sql`now()` } : {}),
      })
      .where(and(eq(longWork.id, work.id), eq(longWork.state, 'running')));
    if (ended) finished++;
  }
  return { tracked: running.length, finished };
}
