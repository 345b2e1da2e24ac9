import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { accounts, auditLog, sessions, users } from '@/db/schema';
import { createAuth } from '@/server/auth/auth';
import { createUser } from '@/server/auth/create-user';
import { createCaller } from '@/server/trpc/root';
import { BACKGROUND_REQUEST_HEADER } from '@/shared/session';
import { createTestDatabase } from '@/test/database';

process.env.AUTH_SECRET = 'test-secret-test-secret-test-secret-0789';
process.env.LOGIN_ATTEMPTS_PER_MINUTE = '1000';
process.env.SESSION_IDLE_MINUTES = '60';
process.env.SESSION_MAX_HOURS = '12';
process.env.TRUSTED_PROXIES = '10.9.0.0/16';
process.env.SIGN_IN_FAILURES_BEFORE_LOCK = '3';

const { db } = await createTestDatabase();
process.env.APP_URL = 'http://localhost:3997';
const auth = createAuth(db);
process.env.APP_URL = 'https://console.example.test';
const httpsAuth = createAuth(db);

function signIn(email: string, password: string, options: { via?: typeof auth; origin?: string; headers?: Record<string, string> } = {}) {
  const origin = options.origin ?? 'http://localhost:3997';
  return (options.via ?? auth).handle(
    new Request(`${origin}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, ...options.headers },
      body: JSON.stringify({ email, password }),
    }),
    { peerAddress: '10.9.0.1' },
  );
}

function cookieOf(response: Response): string {
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}

async function signedInCaller(cookie: string) {
  const signedIn = await auth.signedIn(new Headers({ cookie }));
  expect(signedIn).not.toBeNull();
  return { caller: createCaller({ db, actor: signedIn!.actor, sessionId: signedIn!.sessionId, clientAddress: '10.9.0.1' }), ...signedIn! };
}

async function sessionsOf(userId: string) {
  return db.select().from(sessions).where(eq(sessions.userId, userId));
}

async function passwordHashOf(userId: string) {
  const [account] = await db.select({ password: accounts.password }).from(accounts).where(eq(accounts.userId, userId));
  return account!.password;
}

const ids: Record<string, string> = {};
beforeAll(async () => {
  ids.admin = (await createUser(db, { email: 'admin@sessions.test', name: 'Admin', role: 'admin', password: 'admin-password-1' })).id;
  for (const name of ['cookie', 'aged', 'poller', 'changer', 'guessed', 'reset', 'viewer']) {
    ids[name] = (await createUser(db, { email: `${name}@sessions.test`, name, role: name === 'viewer' ? 'viewer' : 'support', password: 'old-password-1' })).id;
  }
});

describe('session cookies', () => {
  it('are neither Secure nor prefixed over plain http', async () => {
    const setCookie = (await signIn('cookie@sessions.test', 'old-password-1')).headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^better-auth\.session_token=/);
    expect(setCookie).not.toMatch(/Secure/i);
  });

  it('last the absolute lifetime: the session row, not the cookie, decides idle expiry', async () => {
    const setCookie = (await signIn('cookie@sessions.test', 'old-password-1')).headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/Max-Age=43200/);
  });

  it('are Secure and __Host- prefixed when APP_URL is https', async () => {
    const response = await signIn('cookie@sessions.test', 'old-password-1', { via: httpsAuth, origin: 'https://console.example.test' });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^__Host-conveyor\.session_token=/);
    expect(setCookie).toMatch(/; Secure/i);
    expect(setCookie).toMatch(/; Path=\//i);
    expect(setCookie).not.toMatch(/Domain=/i);
    expect(await httpsAuth.sessionActor(new Headers({ cookie: cookieOf(response) }))).toMatchObject({ email: 'cookie@sessions.test' });
  });

  it('are Secure and __Host- prefixed behind a trusted proxy that says X-Forwarded-Proto: https', async () => {
    const response = await signIn('cookie@sessions.test', 'old-password-1', { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.5' } });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^__Host-conveyor\.session_token=/);
    expect(setCookie).toMatch(/; Secure/i);
    expect(await auth.sessionActor(new Headers({ cookie: cookieOf(response), 'x-forwarded-proto': 'https' }))).toMatchObject({ email: 'cookie@sessions.test' });
  });
});

describe('session lifetime', () => {
  it('ends a session past SESSION_MAX_HOURS however recently it was used, and deletes it', async () => {
    const cookie = cookieOf(await signIn('aged@sessions.test', 'old-password-1'));
    expect(await auth.sessionActor(new Headers({ cookie }))).not.toBeNull();
    await db.update(sessions).set({ createdAt: new Date(Date.now() - 12 * 3_600_000 - 60_000) }).where(eq(sessions.userId, ids.aged!));
    expect(await auth.sessionActor(new Headers({ cookie }))).toBeNull();
    expect(await sessionsOf(ids.aged!)).toHaveLength(0);
  });

  it('does not extend a session on a background request, and does on the user’s own', async () => {
    const cookie = cookieOf(await signIn('poller@sessions.test', 'old-password-1'));
    // Five minutes from idle expiry: due for extension on its next use.
    const nearExpiry = new Date(Date.now() + 5 * 60_000);
    await db.update(sessions).set({ expiresAt: nearExpiry }).where(eq(sessions.userId, ids.poller!));

    expect(await auth.sessionActor(new Headers({ cookie, [BACKGROUND_REQUEST_HEADER]: '1' }))).toMatchObject({ email: 'poller@sessions.test' });
    expect((await sessionsOf(ids.poller!))[0]!.expiresAt.getTime()).toBe(nearExpiry.getTime());

    expect(await auth.sessionActor(new Headers({ cookie }))).toMatchObject({ email: 'poller@sessions.test' });
    expect((await sessionsOf(ids.poller!))[0]!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 55 * 60_000);
  });
});

describe('changing your own password', () => {
  it('refuses a wrong current password and changes nothing', async () => {
    const { caller } = await signedInCaller(cookieOf(await signIn('changer@sessions.test', 'old-password-1')));
    const hashBefore = await passwordHashOf(ids.changer!);
    const sessionsBefore = (await sessionsOf(ids.changer!)).length;
    await expect(caller.account.changePassword({ currentPassword: 'not-my-password', newPassword: 'new-password-1', reason: 'changing my password' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'Your current password is not right. Type it again; nothing was changed.',
    });
    expect(await passwordHashOf(ids.changer!)).toBe(hashBefore);
    expect(await sessionsOf(ids.changer!)).toHaveLength(sessionsBefore);
  });

  it('counts wrong current passwords as failed sign-ins: after SIGN_IN_FAILURES_BEFORE_LOCK the account locks', async () => {
    const { caller } = await signedInCaller(cookieOf(await signIn('guessed@sessions.test', 'old-password-1')));
    const hashBefore = await passwordHashOf(ids.guessed!);
    for (let guess = 0; guess < 3; guess++) {
      await expect(caller.account.changePassword({ currentPassword: `guess-${guess}`, newPassword: 'new-password-1', reason: 'guessing' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    await expect(caller.account.changePassword({ currentPassword: 'old-password-1', newPassword: 'new-password-1', reason: 'guessing' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/^This account is locked after too many failed sign-ins/),
    });
    expect(await passwordHashOf(ids.guessed!)).toBe(hashBefore);
    expect((await signIn('guessed@sessions.test', 'old-password-1')).status).toBe(429);
  });

  it('sets the new password, keeps this session, ends the others, and audits it without either password', async () => {
    const otherCookie = cookieOf(await signIn('changer@sessions.test', 'old-password-1'));
    const { caller, sessionId } = await signedInCaller(cookieOf(await signIn('changer@sessions.test', 'old-password-1')));
    const result = await caller.account.changePassword({ currentPassword: 'old-password-1', newPassword: 'new-password-1', reason: 'changing my password' });
    expect(result.otherSessionsEnded).toBeGreaterThanOrEqual(2);
    expect((await sessionsOf(ids.changer!)).map((session) => session.id)).toEqual([sessionId]);
    expect(await auth.sessionActor(new Headers({ cookie: otherCookie }))).toBeNull();

    expect((await signIn('changer@sessions.test', 'old-password-1')).status).toBe(401);
    expect((await signIn('changer@sessions.test', 'new-password-1')).status).toBe(200);

    const entries = await db.select().from(auditLog).where(and(eq(auditLog.action, 'account.changePassword'), eq(auditLog.actorEmail, 'changer@sessions.test')));
    expect(entries.map((entry) => entry.outcome).sort()).toEqual(['error', 'ok']);
    for (const entry of entries) expect(entry.input).toMatchObject({ currentPassword: '[redacted]', newPassword: '[redacted]' });
    expect(JSON.stringify(entries)).not.toMatch(/old-password-1|new-password-1|not-my-password/);
  });
});

describe('better-auth endpoints past our rules', () => {
  it.each(['/change-password', '/update-user', '/revoke-other-sessions', '/list-sessions', '/sign-up/email'])('%s is not served (404), and changes nothing', async (path) => {
    const cookie = cookieOf(await signIn('viewer@sessions.test', 'old-password-1'));
    const hashBefore = await passwordHashOf(ids.viewer!);
    const sessionsBefore = await sessionsOf(ids.viewer!);
    const response = await auth.handle(
      new Request(`http://localhost:3997/api/auth${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://localhost:3997', cookie },
        body: JSON.stringify({ currentPassword: 'old-password-1', newPassword: 'sneaky-password-1', name: 'Renamed', email: 'x@sessions.test', password: 'sneaky-password-1' }),
      }),
    );
    expect(response.status).toBe(404);
    expect(((await response.json()) as { message: string }).message).toMatch(/change your password on the console's Account page/);
    expect(await passwordHashOf(ids.viewer!)).toBe(hashBefore);
    expect(await sessionsOf(ids.viewer!)).toEqual(sessionsBefore);
    const [user] = await db.select().from(users).where(eq(users.id, ids.viewer!));
    expect(user!.name).toBe('viewer');
  });
});

describe("an admin's forced password reset", () => {
  it('is refused to a non-admin, changing nothing', async () => {
    const viewer = createCaller({ db, actor: { id: ids.viewer!, email: 'viewer@sessions.test', role: 'viewer' } });
    await signIn('reset@sessions.test', 'old-password-1');
    await expect(viewer.users.forcePasswordReset({ userId: ids.reset!, reason: 'just because' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const [user] = await db.select().from(users).where(eq(users.id, ids.reset!));
    expect(user!.mustChangePassword).toBe(false);
    expect((await sessionsOf(ids.reset!)).length).toBeGreaterThan(0);
  });

  it('ends their sessions and lets them do nothing but set a new password at next sign-in', async () => {
    const oldCookie = cookieOf(await signIn('reset@sessions.test', 'old-password-1'));
    const admin = createCaller({ db, actor: { id: ids.admin!, email: 'admin@sessions.test', role: 'admin' } });
    expect(await admin.users.forcePasswordReset({ userId: ids.reset!, reason: 'laptop stolen' })).toMatchObject({ email: 'reset@sessions.test' });
    expect(await sessionsOf(ids.reset!)).toHaveLength(0);
    expect(await auth.sessionActor(new Headers({ cookie: oldCookie }))).toBeNull();

    const { caller, actor } = await signedInCaller(cookieOf(await signIn('reset@sessions.test', 'old-password-1')));
    expect(actor.mustChangePassword).toBe(true);
    await expect(caller.orders.search({ limit: 5 })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'An admin asked you to set a new password: set it on the Account page, then carry on.',
    });
    await expect(caller.audit.list({ limit: 5 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const adminBefore = await db.select().from(users).where(eq(users.id, ids.admin!));
    await expect(caller.users.forcePasswordReset({ userId: ids.admin!, reason: 'try anyway' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await db.select().from(users).where(eq(users.id, ids.admin!))).toEqual(adminBefore);
    expect(await caller.session.me()).toMatchObject({ email: 'reset@sessions.test' });

    await caller.account.changePassword({ currentPassword: 'old-password-1', newPassword: 'fresh-password-2', reason: 'admin asked me to' });
    const [user] = await db.select().from(users).where(eq(users.id, ids.reset!));
    expect(user!.mustChangePassword).toBe(false);
    const after = await signedInCaller(cookieOf(await signIn('reset@sessions.test', 'fresh-password-2')));
    expect(after.actor.mustChangePassword).toBeUndefined();
    await expect(after.caller.audit.list({ limit: 5 })).resolves.toBeDefined();

    const [entry] = await db.select().from(auditLog).where(and(eq(auditLog.action, 'users.forcePasswordReset'), eq(auditLog.actorEmail, 'admin@sessions.test')));
    expect(entry).toMatchObject({ outcome: 'ok', target: ids.reset, reason: 'laptop stolen', actorEmail: 'admin@sessions.test' });
  });
});
