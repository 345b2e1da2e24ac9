import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { LOG_CHANNEL, RETRIES_DUE } from './channels';

// Inside a transaction both are delivered at commit, when the change is visible.

/** Wakes every worker to read the log now (a group resumed, offsets moved). */
export async function notifyLogChanged(db: Executor): Promise<void> {
  await db.execute(sql`select pg_notify(${LOG_CHANNEL}, '')`);
}

/** Wakes every worker to look for due retries now (operator actions). */
export async function notifyRetriesDue(db: Executor): Promise<void> {
  await db.execute(sql`select pg_notify(${LOG_CHANNEL}, ${RETRIES_DUE})`);
}
