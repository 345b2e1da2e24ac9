import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { apiTokens } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { ORDERS_TOPIC } from '@/server/orders/events';
import { readLog, type LoggedEvent } from '@/server/pipeline';

const TOKEN_PREFIX = 'cvf_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new token and what is stored of it. The console makes tokens in the browser the same way (see the settings page). */
export function newApiToken() {
  const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  return { token, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) };
}

/**
 * Registers a feed token by its SHA-256. The console generates the token in the admin's
 * browser and sends only the hash, so the token never reaches the server, its logs or the
 * audit log (which keeps every mutation's input and result); it is shown to the admin once.
 */
export async function createApiToken(db: Executor, input: { name: string; tokenHash: string; prefix: string; actor: string }) {
  if (!/^[0-9a-f]{64}$/.test(input.tokenHash)) throw new DomainError('BAD_REQUEST', 'tokenHash must be the hex SHA-256 of the token.');
  if (!input.prefix.startsWith(TOKEN_PREFIX) || input.prefix.length > 16) throw new DomainError('BAD_REQUEST', `prefix must be the token's first characters (${TOKEN_PREFIX}…).`);
  const [row] = await db
    .insert(apiTokens)
    .values({ name: input.name, tokenHash: input.tokenHash, prefix: input.prefix, createdBy: input.actor })
    .returning({ id: apiTokens.id, name: apiTokens.name, prefix: apiTokens.prefix, createdAt: apiTokens.createdAt });
  return row!;
}

export async function revokeApiToken(db: Executor, input: { tokenId: number; actor: string }) {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: new Date(), revokedBy: input.actor })
    .where(and(eq(apiTokens.id, input.tokenId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id, name: apiTokens.name });
  if (!row) throw new DomainError('NOT_FOUND', `Token ${input.tokenId} does not exist or is already revoked.`);
  return row;
}

export async function listApiTokens(db: Executor) {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      prefix: apiTokens.prefix,
      scope: apiTokens.scope,
      createdBy: apiTokens.createdBy,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
      revokedBy: apiTokens.revokedBy,
    })
    .from(apiTokens)
    .orderBy(desc(apiTokens.id));
}

/** The live token an Authorization header carries, or null. Marks it used (at most once a minute, to keep reads cheap). */
export async function authenticateFeedToken(db: Executor, authorization: string | null) {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return null;
  const [token] = await db.execute<{ id: number; name: string }>(sql`
    update api_tokens set last_used_at = case when last_used_at is null or last_used_at < now() - interval '1 minute' then now() else last_used_at end
     where token_hash = ${hashToken(match[1]!)} and revoked_at is null
    returning id::int as id, name`);
  return token ?? null;
}

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

/** Order events after the cursor, in log order. */
export async function readFeed(db: Executor, input: { after?: string | null; limit: number }): Promise<{ events: FeedEvent[]; nextCursor: string | null }> {
  const after = input.after ? decodeFeedCursor(input.after) : null;
  const rows = await readLog(db, { topic: ORDERS_TOPIC, after, limit: input.limit });
  const events = rows.map((row) => ({ ...row, cursor: encodeFeedCursor(row.loggedAt, row.id) }));
  return { events, nextCursor: events.length ? events[events.length - 1]!.cursor : (input.after ?? null) };
}
