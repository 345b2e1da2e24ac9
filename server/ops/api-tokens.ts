import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { apiTokens } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { API_TOKEN_SCOPES, type ApiTokenScope } from '@/shared/api-token-scopes';

const TOKEN_PREFIX = 'cvf_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new token and what is stored of it. The console makes tokens in the browser the same way (see the settings page). */
export function newApiToken() {
  const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  return { token, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) };
}

function checkScopes(scopes: readonly string[]): ApiTokenScope[] {
  const unknown = scopes.filter((scope) => !(API_TOKEN_SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) throw new DomainError('BAD_REQUEST', `Unknown scope ${unknown.join(', ')}; choose from ${API_TOKEN_SCOPES.join(', ')}.`);
  if (scopes.length === 0) throw new DomainError('BAD_REQUEST', `Choose at least one scope (${API_TOKEN_SCOPES.join(', ')}).`);
  return [...new Set(scopes as ApiTokenScope[])];
}

/**
 * Registers a token by its SHA-256. The console generates the token in the admin's browser
 * and sends only the hash, so the token never reaches the server, its logs or the audit log;
 * it is shown to the admin once.
 */
export async function createApiToken(db: Executor, input: { name: string; tokenHash: string; prefix: string; scopes: readonly string[]; actor: string }) {
  if (!/^[0-9a-f]{64}$/.test(input.tokenHash)) throw new DomainError('BAD_REQUEST', 'tokenHash must be the hex SHA-256 of the token.');
  if (!input.prefix.startsWith(TOKEN_PREFIX) || input.prefix.length > 16) throw new DomainError('BAD_REQUEST', `prefix must be the token's first characters (${TOKEN_PREFIX}…).`);
  const [row] = await db
    .insert(apiTokens)
    .values({ name: input.name, tokenHash: input.tokenHash, prefix: input.prefix, scopes: checkScopes(input.scopes), createdBy: input.actor })
    .returning({ id: apiTokens.id, name: apiTokens.name, prefix: apiTokens.prefix, scopes: apiTokens.scopes, createdAt: apiTokens.createdAt });
  return row!;
}

/**
 * Makes a token on the server and registers it: for the processes and tools that call the
 * order API themselves (demo customers, load, chaos, tests). The token is returned once.
 */
export async function issueApiToken(db: Executor, input: { name: string; scopes: readonly ApiTokenScope[]; actor?: string }) {
  const { token, ...stored } = newApiToken();
  const row = await createApiToken(db, { name: input.name, ...stored, scopes: input.scopes, actor: input.actor ?? 'system' });
  return { ...row, token };
}

/**
 * Registers a token the operator chose (STOREFRONT_TOKEN in demo mode, so tools that read it
 * can call the storefront). Idempotent; a token revoked before stays revoked.
 */
export async function registerApiToken(db: Executor, input: { token: string; name: string; scopes: readonly ApiTokenScope[]; actor: string }) {
  if (input.token.length < 24) throw new DomainError('BAD_REQUEST', 'A token must have at least 24 characters.');
  await db
    .insert(apiTokens)
    .values({ name: input.name, tokenHash: hashToken(input.token), prefix: input.token.slice(0, 10), scopes: checkScopes(input.scopes), createdBy: input.actor })
    .onConflictDoNothing({ target: apiTokens.tokenHash });
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
      scopes: apiTokens.scopes,
      createdBy: apiTokens.createdBy,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
      revokedBy: apiTokens.revokedBy,
    })
    .from(apiTokens)
    .orderBy(desc(apiTokens.id));
}

export type AuthenticatedApiToken = {
  id: number;
  name: string;
  scopes: ApiTokenScope[];
};

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(authorization: string | null): string | null {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? null;
}

/**
 * The live token with this hash, or null. Marks it used at most once a minute: the look-up is
 * a plain read, and only a use that is due writes the row. Every request of a storefront
 * carries the same token, so a look-up that always wrote it queued each process's whole burst
 * of cache misses on that one row's lock.
 */
export async function findLiveApiToken(db: Executor, tokenHash: string): Promise<AuthenticatedApiToken | null> {
  const [row] = await db.execute<AuthenticatedApiToken & { due: boolean }>(sql`
    select id::int as id, name, scopes, (last_used_at is null or last_used_at < now() - interval '1 minute') as due
      from api_tokens where token_hash = ${tokenHash} and revoked_at is null`);
  if (!row) return null;
  if (row.due) {
    // A concurrent use that got there first leaves the condition false: then this changes nothing.
    await db.execute(sql`
      update api_tokens set last_used_at = now()
       where id = ${row.id} and (last_used_at is null or last_used_at < now() - interval '1 minute')`);
  }
  return { id: row.id, name: row.name, scopes: row.scopes };
}

export interface ApiTokenAuthenticator {
  /** The live token an Authorization header carries, or null. */
  authenticate(authorization: string | null): Promise<AuthenticatedApiToken | null>;
}

/** Entries kept at most; past this the cache starts over, so a flood of distinct tokens cannot grow it. */
const CACHE_ENTRIES = 10_000;

/**
 * Token look-ups for the order API. A live token is remembered for `cacheMs`, so the storefront's
 * hot path does not pay a database round trip per request; the price is that a revoked token keeps
 * working for up to `cacheMs` in each process. Unknown tokens are not remembered: a token made a
 * moment ago works at once, and guessing costs a look-up each time.
 */
export function createApiTokenAuthenticator(db: Executor, options: { cacheMs: number }): ApiTokenAuthenticator {
  const live = new Map<string, { token: AuthenticatedApiToken; until: number }>();
  const inFlight = new Map<string, Promise<AuthenticatedApiToken | null>>();
  return {
    async authenticate(authorization) {
      const token = bearerToken(authorization);
      if (!token) return null;
      // Kept by hash, as in the table, so the process holds no token it was not just sent.
      const tokenHash = hashToken(token);
      const now = Date.now();
      const cached = live.get(tokenHash);
      if (cached && cached.until > now) return cached.token;
      live.delete(tokenHash);
      // Requests that miss together share one look-up: when a busy storefront's entry expires,
      // thousands arrive before the first answer.
      let lookup = inFlight.get(tokenHash);
      if (!lookup) {
        lookup = findLiveApiToken(db, tokenHash).finally(() => inFlight.delete(tokenHash));
        inFlight.set(tokenHash, lookup);
      }
      const found = await lookup;
      if (found && options.cacheMs > 0 && !live.has(tokenHash)) {
        if (live.size >= CACHE_ENTRIES) live.clear();
        live.set(tokenHash, { token: found, until: now + options.cacheMs });
      }
      return found;
    },
  };
}
