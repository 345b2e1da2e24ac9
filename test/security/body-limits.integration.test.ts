import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '@/server/auth/create-user';
import { issueApiToken, listApiTokens } from '@/server/ops/api-tokens';
import { createCaller } from '@/server/trpc/root';
import { createTestDatabase } from '@/test/database';

/**
 * The console's tRPC route refuses oversized bodies before tRPC reads them (so nothing is
 * parsed, authenticated or audited), and free-text inputs have maximum lengths.
 */
const { db, url } = await createTestDatabase({ max: 4 });
const MAX_BODY_BYTES = 4_096;
const APP_URL = 'http://localhost:3997';
type Route = (request: Request) => Promise<Response>;
let trpcRoute: Route;
let signInRoute: Route;

beforeAll(async () => {
  // The route's process-wide database and its body limit, read when the module loads.
  process.env.DATABASE_URL = url;
  process.env.AUTH_SECRET ??= 'body-limits-test-auth-secret-0123456789';
  process.env.MAX_BODY_BYTES = String(MAX_BODY_BYTES);
  process.env.APP_URL = APP_URL;
  trpcRoute = (await import('@/app/api/trpc/[trpc]/route')).POST as Route;
  signInRoute = (await import('@/app/api/auth/[...all]/route')).POST as Route;
});

const auditRows = async () => (await db.execute<{ count: number }>(sql`select count(*)::int as count from audit_log`))[0]!.count;

const mutation = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request('http://127.0.0.1:3000/api/trpc/users.create', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, duplex: 'half' } as RequestInit);

describe('the console tRPC route', () => {
  it('refuses an anonymous 3 MB body with 413 by its declared length, and writes nothing to the audit log', async () => {
    const before = await auditRows();
    const body = JSON.stringify({ json: { email: 'x@y.test', name: 'X', role: 'admin', password: 'p'.repeat(3 * 1024 * 1024), reason: 'big' } });
    const response = await trpcRoute(mutation(body, { 'content-length': String(Buffer.byteLength(body)) }));
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'body_too_large', message: `The request body is larger than ${MAX_BODY_BYTES} bytes; send a smaller one.` });
    expect(await auditRows()).toBe(before);
  });

  it('refuses a chunked body as soon as it passes the limit, without reading the rest', async () => {
    const before = await auditRows();
    let pulledBytes = 0;
    const total = 1024 * 1024;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulledBytes >= total) return controller.close();
        controller.enqueue(new TextEncoder().encode('x'.repeat(1_024)));
        pulledBytes += 1_024;
      },
    });
    const response = await trpcRoute(mutation(stream));
    expect(response.status).toBe(413);
    expect(pulledBytes).toBeLessThan(total / 8);
    expect(await auditRows()).toBe(before);
  });

  it('passes a body under the limit through to tRPC, which answers an anonymous caller 401', async () => {
    const response = await trpcRoute(mutation(JSON.stringify({ json: { email: 'x@y.test', name: 'X', role: 'viewer', password: 'long-enough-1', reason: 'new hire' } })));
    expect(response.status).toBe(401);
  });
});

describe('the console sign-in route', () => {
  it('refuses a body over MAX_BODY_BYTES with 413 before reading it, and counts no sign-in attempt', async () => {
    const attempts = async () => (await db.execute<{ count: number }>(sql`select count(*)::int as count from sign_in_throttle`))[0]!.count;
    const before = await attempts();
    const body = JSON.stringify({ email: 'nobody@example.test', password: 'p'.repeat(MAX_BODY_BYTES * 2) });
    const response = await signInRoute(
      new Request(`${APP_URL}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: APP_URL, 'content-length': String(Buffer.byteLength(body)) },
        body,
      }),
    );
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'body_too_large' });
    expect(await attempts()).toBe(before);
  });
});

describe('free-text inputs', () => {
  it('over HTTP: a signed-in admin sending a reason over 500 characters gets 400 naming the field and the bound, and nothing is revoked', async () => {
    await createUser(db, { email: 'admin@http-limits.test', name: 'Admin', role: 'admin', password: 'long-enough-9' });
    const signedIn = await signInRoute(
      new Request(`${APP_URL}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: APP_URL },
        body: JSON.stringify({ email: 'admin@http-limits.test', password: 'long-enough-9' }),
      }),
    );
    expect(signedIn.status).toBe(200);
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const { id } = await issueApiToken(db, { name: 'kept over http', scopes: ['feed:read'] });
    const response = await trpcRoute(
      new Request(`${APP_URL}/api/trpc/apiTokens.revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, origin: APP_URL },
        body: JSON.stringify({ json: { tokenId: id, reason: 'r'.repeat(501) } }),
      }),
    );
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('reason: Keep the reason to 500 characters or fewer');
    expect((await listApiTokens(db)).find((token) => token.id === id)).toMatchObject({ revokedAt: null });
  });

  it('refuse a reason over 500 characters with BAD_REQUEST saying the bound, and act on nothing', async () => {
    const admin = await createUser(db, { email: 'admin@limits.test', name: 'Admin', role: 'admin', password: 'long-enough-2' });
    const caller = createCaller({ db, actor: { id: admin.id, email: admin.email, role: 'admin' } });
    const { id } = await issueApiToken(db, { name: 'kept', scopes: ['feed:read'] });
    await expect(caller.apiTokens.revoke({ tokenId: id, reason: 'r'.repeat(501) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('Keep the reason to 500 characters or fewer'),
    });
    expect((await listApiTokens(db)).find((token) => token.id === id)).toMatchObject({ revokedAt: null });
    await expect(caller.users.create({ email: 'long@limits.test', name: 'n'.repeat(101), role: 'viewer', password: 'long-enough-3', reason: 'new hire' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('Keep the name to 100 characters or fewer'),
    });
    const [created] = await db.execute<{ count: number }>(sql`select count(*)::int as count from users where email = 'long@limits.test'`);
    expect(created!.count).toBe(0);
  });
});
