import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { STOREFRONT_SCOPES } from '@/shared/api-token-scopes';
import { createTestDatabase } from '@/test/database';
import { createApiTokenAuthenticator, issueApiToken, revokeApiToken } from './api-tokens';

const { db } = await createTestDatabase({ max: 8 });

/** The row's version: it changes with every write of the row, even one that leaves its values as they were. */
async function rowVersion(tokenId: number): Promise<{ xmin: string; lastUsedAt: Date | null }> {
  const [row] = await db.execute<{ xmin: string; last_used_at: string | null }>(sql`select xmin::text, last_used_at from api_tokens where id = ${tokenId}`);
  return { xmin: row!.xmin, lastUsedAt: row!.last_used_at ? new Date(row!.last_used_at) : null };
}

describe('API token look-ups', () => {
  it('mark the token used once a minute at most, and otherwise only read its row', async () => {
    const { id, token } = await issueApiToken(db, { name: 'web storefront', scopes: STOREFRONT_SCOPES });
    // No cache: every call looks the token up.
    const tokens = createApiTokenAuthenticator(db, { cacheMs: 0 });
    expect(await tokens.authenticate(`Bearer ${token}`)).toMatchObject({ id, name: 'web storefront' });
    const marked = await rowVersion(id);
    expect(marked.lastUsedAt).not.toBeNull();

    for (let call = 0; call < 5; call++) expect(await tokens.authenticate(`Bearer ${token}`)).toMatchObject({ id });
    // Not written again: a look-up that wrote the row would queue every concurrent request of a storefront on its lock.
    expect(await rowVersion(id)).toEqual(marked);

    await db.execute(sql`update api_tokens set last_used_at = now() - interval '2 minutes' where id = ${id}`);
    await tokens.authenticate(`Bearer ${token}`);
    expect((await rowVersion(id)).lastUsedAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('answer a burst of concurrent misses with one look-up: all get the token, a revoked one none', async () => {
    const { id, token } = await issueApiToken(db, { name: 'burst storefront', scopes: STOREFRONT_SCOPES });
    const tokens = createApiTokenAuthenticator(db, { cacheMs: 5_000 });
    const answers = await Promise.all(Array.from({ length: 200 }, () => tokens.authenticate(`Bearer ${token}`)));
    expect(answers.every((answer) => answer?.id === id)).toBe(true);

    await revokeApiToken(db, { tokenId: id, actor: 'admin' });
    const fresh = createApiTokenAuthenticator(db, { cacheMs: 5_000 });
    expect(await Promise.all(Array.from({ length: 20 }, () => fresh.authenticate(`Bearer ${token}`)))).toEqual(Array(20).fill(null));
  });
});
