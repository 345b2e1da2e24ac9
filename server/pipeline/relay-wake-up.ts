import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { OUTBOX_CHANNEL } from './channels';

/**
 * How often one process's producers may wake the relay. A NOTIFY makes its transaction take
 * a database-wide lock at commit (PostgreSQL queues notifications in commit order), so every
 * transaction that raises one commits one at a time: at a few hundred payments a second
 * they queued behind that lock. The relay needs one wake-up per burst, not one per event:
 * once woken it keeps polling while rows keep coming (relay.ts), and a transaction that
 * skipped its wake-up commits either into that window or before the relay's fallback poll.
 */
export const RELAY_WAKE_UP_EVERY_MS = 5;

let lastWakeUpAt = 0;

function wakeUpDue(): boolean {
  const now = Date.now();
  if (now - lastWakeUpAt < RELAY_WAKE_UP_EVERY_MS) return false;
  lastWakeUpAt = now;
  return true;
}

/**
 * What an appending statement selects so the relay wakes at its commit: `pg_notify` for the
 * first append of each `RELAY_WAKE_UP_EVERY_MS` in this process, `null` for the others.
 */
export function relayWakeUp(): SQL {
  return wakeUpDue() ? sql`pg_notify(${OUTBOX_CHANNEL}, '')` : sql`null`;
}

/**
 * The wake-up for a producer whose appending statement has already committed, sent as a
 * statement of its own. For the hot path of the web tier: a transaction that notifies
 * waits at commit for every other notifying one, the relay's own included, and a worker's
 * commit must never hold up a payment. Not awaited: if it fails, the relay's fallback poll
 * finds the events a moment later.
 */
export function wakeRelayAfterCommit(db: Database): void {
  if (!wakeUpDue()) return;
  db.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`).catch(() => {});
}
