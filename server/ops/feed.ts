import type { Executor } from '@/db/client';
import { DomainError } from '@/server/errors';
import { ORDERS_TOPIC } from '@/server/orders/events';
import { readLog, type LoggedEvent } from '@/server/pipeline';

/**
 * The feed's cursor names the last event read by its place in the log: the time the relay
 * logged it (microseconds, as text so nothing is rounded) and its id. The relay logs events
 * one batch at a time from a single leader, each batch in its own transaction stamped later
 * than the one before, so (logged_at, id) only grows in commit order: a reader never skips
 * an event that commits after it read, and never sees one twice.
 */
export function encodeFeedCursor(loggedAt: string, id: string): string {
  return Buffer.from(`${loggedAt}|${id}`).toString('base64url');
}

export function decodeFeedCursor(cursor: string): { loggedAt: string; id: string } {
  const [loggedAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!loggedAt || !id || !/^\d+$/.test(id) || Number.isNaN(Date.parse(loggedAt))) throw new DomainError('BAD_REQUEST', 'The cursor is not one this feed gave out.');
  return { loggedAt, id };
}

export type FeedEvent = LoggedEvent & { cursor: string };

/** Payload fields that identify or reach a person: left out of the feed unless the token has the `feed:pii` scope. */
export const PERSONAL_DATA_FIELDS = ['contactPhone'] as const;

function withoutPersonalData(payload: unknown): unknown {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload;
  const kept: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  for (const field of PERSONAL_DATA_FIELDS) delete kept[field];
  return kept;
}

/** Order events after the cursor, in log order; without personal data unless `personalData` is asked for. */
export async function readFeed(db: Executor, input: { after?: string | null; limit: number; personalData: boolean }): Promise<{ events: FeedEvent[]; nextCursor: string | null }> {
  const after = input.after ? decodeFeedCursor(input.after) : null;
  const rows = await readLog(db, { topic: ORDERS_TOPIC, after, limit: input.limit });
  const events = rows.map((row) => ({
    ...row,
    payload: input.personalData ? row.payload : withoutPersonalData(row.payload),
    cursor: encodeFeedCursor(row.loggedAt, row.id),
  }));
  return { events, nextCursor: events.length ? events[events.length - 1]!.cursor : (input.after ?? null) };
}
