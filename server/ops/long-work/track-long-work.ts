import { and, eq, inArray, lt, ne, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { longWork, reconciliationRuns, type LongWorkSubject } from '@/db/schema';
import { offsetResetProgress, replayProgress } from '@/server/pipeline';

/** Where a piece of work the worker follows stands, from the engine. */
async function followedProgress(db: Executor, work: { total: number; subject: LongWorkSubject; startedAt: Date }) {
  if ('deadLetterIds' in work.subject) {
    const progress = await replayProgress(db, work.subject.deadLetterIds);
    return { done: progress.done, failures: progress.failures, ended: progress.done >= work.total };
  }
  if ('offsetReset' in work.subject) {
    const progress = await offsetResetProgress(db, { ...work.subject.offsetReset, since: work.startedAt });
    return { done: progress.caughtUp ? work.total : Math.max(0, work.total - progress.remaining), failures: progress.failures, ended: progress.caughtUp };
  }
  return null;
}

/**
 * Brings running work up to date; the worker calls it every second. A replay's and an offset
 * reset's redelivery counts come from the engine (one statement per running work, a write
 * only when a count moved, so however fast its deliveries go it is written about once a
 * second); a replay ends when every replay has, a redelivery when the group caught up past
 * the rewound ranges. A reconciliation run counts itself in the process that runs it; here it
 * is only closed when its run ended a minute ago without it (the process died), so it cannot
 * stay running forever; a bulk order action, which writes after every order, when it has not
 * written for two minutes.
 */
export async function trackLongWork(db: Executor): Promise<{ tracked: number; finished: number }> {
  const running = await db
    .select({ id: longWork.id, kind: longWork.kind, total: longWork.total, done: longWork.done, failures: longWork.failures, subject: longWork.subject, startedAt: longWork.startedAt })
    .from(longWork)
    .where(eq(longWork.state, 'running'));
  let finished = 0;
  for (const work of running) {
    const progress = await followedProgress(db, work);
    if (!progress) continue;
    const { ended } = progress;
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
  const runIds = running.flatMap((work) => ('reconciliationRunId' in work.subject ? [work.subject.reconciliationRunId] : []));
  if (runIds.length > 0) {
    const ended = await db
      .select({ id: reconciliationRuns.id, status: reconciliationRuns.status, error: reconciliationRuns.error })
      .from(reconciliationRuns)
      .where(
        // A minute's grace: the process that ran it writes its final counts just after the run's own row.
        and(inArray(reconciliationRuns.id, runIds), ne(reconciliationRuns.status, 'running'), lt(reconciliationRuns.finishedAt, sql`now() - interval '1 minute'`)),
      );
    for (const run of ended) {
      const closed = await db
        .update(longWork)
        .set({ state: 'failed', error: run.error ?? `Run ${run.id} ended (${run.status}) without reporting its last counts.`, updatedAt: sql`now()`, finishedAt: sql`now()` })
        .where(and(eq(longWork.state, 'running'), eq(longWork.kind, 'reconciliation_run'), sql`(${longWork.subject}->>'reconciliationRunId')::int8 = ${run.id}`))
        .returning({ id: longWork.id });
      finished += closed.length;
    }
  }
  if (running.some((work) => work.kind === 'bulk_order_action')) {
    const abandoned = await db
      .update(longWork)
      .set({
        state: 'failed',
        error: 'Abandoned: the console process running it stopped (it probably restarted); the orders not counted were not acted on. Select them and run the action again.',
        updatedAt: sql`now()`,
        finishedAt: sql`now()`,
      })
      .where(and(eq(longWork.state, 'running'), eq(longWork.kind, 'bulk_order_action'), lt(longWork.updatedAt, sql`now() - interval '2 minutes'`)))
      .returning({ id: longWork.id });
    finished += abandoned.length;
  }
  return { tracked: running.length, finished };
}
