import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent, type PipelineHandle, startPipeline } from '@/server/pipeline';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { eventually } from '@/server/orders/test-fixtures';
import { feedRoutes } from '@/server/http/feed';
import { serveHttp, type ServedHttp } from '@/server/http/serve-http';
import { createTestDatabase } from '@/test/database';
import { createApiToken, createApiTokenAuthenticator, newApiToken, revokeApiToken } from './api-tokens';

const { db } = await createTestDatabase({ max: 20 });
let pipeline: PipelineHandle;
let server: ServedHttp;

beforeAll(async () => {
  // No token cache, so a revoked token is refused at once (the cache is tested with the storefront's doors).
  server = await serveHttp({ routes: feedRoutes(db, createApiTokenAuthenticator(db, { cacheMs: 0 })) });
  // The relay alone: it moves the outbox into the log while the test writes.
  pipeline = await startPipeline({ db, consumers: [], ...fastPipelineOptions });
});
afterAll(async () => {
  await pipeline.stop();
  await server.close();
});

async function fetchFeed(token: string | null, query: string) {
  const response = await fetch(`${server.url}/api/feed/events${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await response.text();
  return {
    status: response.status,
    next: response.headers.get('x-next-cursor'),
    events: response.status === 200 ? text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { id: string; cursor: string; key: string; type: string }) : [],
  };
}

describe('event feed', () => {
  it('refuses requests without a live token, and a revoked token', async () => {
    expect((await fetchFeed(null, '')).status).toBe(401);
    expect((await fetchFeed('cvf_not-a-token', '')).status).toBe(401);
    const { token, ...stored } = newApiToken();
    const { id } = await createApiToken(db, { name: 'data team', ...stored, scopes: ['feed:read'], actor: 'admin@conveyor.demo' });
    expect((await fetchFeed(token, '')).status).toBe(200);
    const [row] = await db.execute<{ tokenHash: string }>(sql`select token_hash as "tokenHash" from api_tokens where id = ${id}`);
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.tokenHash).not.toContain(token.slice(4));
    await revokeApiToken(db, { tokenId: id, actor: 'admin@conveyor.demo' });
    expect((await fetchFeed(token, '')).status).toBe(401);
  });

  it('resumes exactly after its cursor, with no gaps or repeats, while events are being written', async () => {
    const { token, ...stored } = newApiToken();
    await createApiToken(db, { name: 'follower', ...stored, scopes: ['feed:read'], actor: 'admin@conveyor.demo' });
    const total = 300;
    let writing = true;
    const writer = (async () => {
      // Concurrent producers, several keys, small transactions: the relay interleaves them into batches.
      await Promise.all(
        Array.from({ length: 6 }, async (_, producer) => {
          for (let n = 0; n < total / 6; n++) {
            await db.transaction((tx) => appendEvent(tx, { topic: 'orders', key: `ord-feed-${producer}-${n % 5}`, type: 'FeedTest', payload: { producer, n } }));
          }
        }),
      );
      writing = false;
    })();
    // Events of another topic are not part of the order feed.
    await db.transaction((tx) => appendEvent(tx, { topic: 'other', key: 'x', type: 'Other', payload: {} }));

    const seen: string[] = [];
    let cursor = '';
    await eventually(
      'the follower to read every event',
      async () => {
        const page = await fetchFeed(token, `?limit=7${cursor ? `&after=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        seen.push(...page.events.map((event) => event.id));
        if (page.events.length) expect(page.next).toBe(page.events[page.events.length - 1]!.cursor);
        cursor = page.next ?? '';
        return !writing && page.events.length === 0 ? true : undefined;
      },
      25_000,
    );
    await writer;

    const logged = await db.execute<{ id: string }>(sql`select e.id::text as id from events e where e.topic = 'orders' order by e.logged_at, e.id`);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(logged.map((row) => row.id));
    expect(seen).toHaveLength(total);
  });

  it('rejects a cursor it did not give out and a limit out of range', async () => {
    const { token, ...stored } = newApiToken();
    await createApiToken(db, { name: 'strict', ...stored, scopes: ['feed:read'], actor: 'admin@conveyor.demo' });
    expect((await fetchFeed(token, '?after=garbage')).status).toBe(400);
    expect((await fetchFeed(token, '?limit=5000')).status).toBe(400);
  });
});
