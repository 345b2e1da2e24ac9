import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { longWork } from '@/db/schema';

export interface ProgressCounts {
  done: number;
  failures: number;
}

export interface ProgressReporter {
  /** The counts so far; written at most once per `everyMs`, however often this is called. */
  update(counts: ProgressCounts): void;
  /** Writes the final counts and how the work ended. */
  finish(outcome: { counts: ProgressCounts; error?: string }): Promise<void>;
}

/**
 * Progress of work that runs in this process (a reconciliation run): the caller reports its
 * counts after every item, and the row is written at most a few times a second, so a run of
 * thousands of items costs a handful of writes. A write that fails (a database blip) is
 * dropped; the next one carries the newer counts.
 */
export function reportProgress(db: Executor, workId: number, options: { everyMs?: number } = {}): ProgressReporter {
  const everyMs = options.everyMs ?? 500;
  let latest: ProgressCounts = { done: 0, failures: 0 };
  let lastWriteAt = 0;
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  const write = () => {
    timer = null;
    lastWriteAt = Date.now();
    const counts = latest;
    writing = db
      .update(longWork)
      .set({ ...counts, updatedAt: sql`now()` })
      .where(and(eq(longWork.id, workId), eq(longWork.state, 'running')))
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        writing = null;
      });
  };

  return {
    update(counts) {
      latest = counts;
      if (timer || writing) return;
      timer = setTimeout(write, Math.max(0, lastWriteAt + everyMs - Date.now()));
    },
    async finish({ counts, error }) {
      if (timer) clearTimeout(timer);
      timer = null;
      await writing;
      await db
        .update(longWork)
        .set({ ...counts, state: error ? 'failed' : 'finished', error: error ?? null, updatedAt: sql`now()`, finishedAt: sql`now()` })
        .where(and(eq(longWork.id, workId), eq(longWork.state, 'running')));
    },
  };
}
