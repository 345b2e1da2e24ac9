import type { Executor } from '@/db/client';
import { longWork, type LongWork } from '@/db/schema';

export type StartLongWork = Pick<LongWork, 'kind' | 'label' | 'startedFrom' | 'startedBy' | 'reason' | 'total' | 'subject'>;

/** Records that a long action started; call it in the transaction that starts the action, so a row exists if and only if the work does. */
export async function startLongWork(db: Executor, work: StartLongWork): Promise<LongWork> {
  const [row] = await db.insert(longWork).values(work).returning();
  return row!;
}
