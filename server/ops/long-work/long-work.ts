import { and, desc, eq, getTableColumns, gte, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { longWork, type LongWork } from '@/db/schema';

export type LongWorkView = Omit<LongWork, 'subject'> & {
  /** Estimated from the pace so far; null until something is done, and once it ended. */
  timeLeftMs: number | null;
};

/** What is left at the pace so far: (total − done) ÷ (done per ms since the start). */
export function timeLeftMs(work: Pick<LongWork, 'state' | 'total' | 'done' | 'startedAt'>, now: number): number | null {
  if (work.state !== 'running' || work.done <= 0) return null;
  const elapsed = Math.max(1, now - work.startedAt.getTime());
  return Math.round(((work.total - work.done) * elapsed) / work.done);
}

/** How long ended work stays on the screen that started it, so the operator sees how it ended. */
const RECENT_MINUTES = 30;

/**
 * Work to show: everything running, plus (on the screen that started it) what ended in the
 * last half hour, newest first. The running work is served by long_work_running_idx, a
 * screen's by long_work_started_from_idx.
 */
export async function listLongWork(db: Executor, filter: { startedFrom?: string; limit: number }, now = Date.now()): Promise<LongWorkView[]> {
  const running = eq(longWork.state, 'running');
  const where: SQL = filter.startedFrom
    ? and(eq(longWork.startedFrom, filter.startedFrom), or(running, gte(longWork.finishedAt, sql`now() - ${RECENT_MINUTES} * interval '1 minute'`)))!
    : running;
  const { subject: _subject, ...columns } = getTableColumns(longWork);
  const rows = await db.select(columns).from(longWork).where(where).orderBy(desc(longWork.startedAt), desc(longWork.id)).limit(filter.limit);
  return rows.map((row) => ({ ...row, timeLeftMs: timeLeftMs(row, now) }));
}
