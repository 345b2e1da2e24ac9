import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { LOG_CHANNEL, RETRIES_DUE } from './channels';

/** Wakes every worker to look for due retries (sent at commit when called inside a transaction). */
export async function notifyRetriesDue(db: Executor): Promise<void> {
  await db.execute(sql`select pg_notify(${LOG_CHANNEL}, ${RETRIES_DUE})`);
}
