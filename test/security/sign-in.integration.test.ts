import { and, count, eq, gt } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, sessions, signInThrottle } from '@/db/schema';
import { createAuth } from '@/server/auth/auth';
import { authSettings } from '@/server/auth/auth-settings';
import { createUser } from '@/server/auth/create-user';
import { consoleCommand } from '@/server/runtime/console-process';
import { SettingError } from '@/server/runtime/settings';
import { createTestDatabase } from '@/test/database';

process.env.APP_URL = 'http://localhost:3998';
process.env.AUTH_SECRET = 'test-secret-test-secret-test-secret-0456';
// better-auth's own per-address limiter is not what is under test here.
process.env.LOGIN_ATTEMPTS_PER_MINUTE = '1000';
process.env.SIGN_IN_FAILURES_BEFORE_LOCK = '5';
process.env.SIGN_IN_LOCK_MINUTES = '15';
process.env.SIGN_IN_FAILURES_PER_ADDRESS_PER_MINUTE = '8';
process.env.TRUSTED_PROXIES = '10.9.0.0/16, fd00::1';

const { db } = await createTestDatabase();
const auth = createAuth(db);

function signIn(email: string, password: string, options: { forwardedFor?: string; peerAddress?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', origin: 'http://localhost:3998' };
  if (options.forwardedFor) headers['x-forwarded-for'] = options.forwardedFor;
  return auth.handle(new Request('http://localhost:3998/api/auth/sign-in/email', { method: 'POST', headers, body: JSON.stringify({ email, password }) }), {
    peerAddress: options.peerAddress,
  });
}

async function sessionCount(userId: string) {
  const [row] = await db.select({ n: count() }).from(sessions).where(eq(sessions.userId, userId));
  return row!.n;
}

let freshAddress = 0;
const nextAddress = () => `198.18.${Math.floor(++freshAddress / 250)}.${freshAddress % 250}`;

describe('sign-in throttling', () => {
  const users: Record<string, string> = {};
  beforeAll(async () => {
    for (const name of ['target', 'direct', 'proxied', 'unlocked']) {
      users[name] = (await createUser(db, { email: `${name}@throttle.test`, name, role: 'support', password: 'correct-horse' })).id;
    }
  });

  it('locks an account after N failures even when 30 guesses at once each carry a fresh X-Forwarded-For, and refuses the right password while locked', async () => {
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, guess) => signIn('target@throttle.test', `guess-${guess}`, { forwardedFor: nextAddress() }).then((r) => r.status)));
    // Counted before the password is checked, in one statement: exactly N reached the check.
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(25);

    const refused = await signIn('target@throttle.test', 'correct-horse', { forwardedFor: nextAddress() });
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: string; message: string };
    expect(body.error).toBe('TOO_MANY_SIGN_IN_ATTEMPTS');
    expect(body.message).toMatch(/This account is locked after too many failed sign-ins, until \d\d:\d\d UTC\. Try again then, or ask an admin/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect(await sessionCount(users.target!)).toBe(0);

    const locks = await db.select().from(auditLog).where(and(eq(auditLog.action, 'auth.accountLocked'), eq(auditLog.target, 'target@throttle.test')));
    expect(locks).toHaveLength(1);
    expect(locks[0]).toMatchObject({ outcome: 'denied', input: null });
    expect(locks[0]!.message).toMatch(/^Locked after 5 failed sign-ins \(latest from 198\.18\.\d+\.\d+\) until \d\d:\d\d UTC\.$/);
  });

  it('lets the right password in again once the lock has passed, and then forgets the failures', async () => {
    await db.update(signInThrottle).set({ lockedUntil: new Date(Date.now() - 1_000) }).where(eq(signInThrottle.key, 'account:target@throttle.test'));
    const response = await signIn('target@throttle.test', 'correct-horse', { forwardedFor: nextAddress() });
    expect(response.status).toBe(200);
    expect(await db.select().from(signInThrottle).where(eq(signInThrottle.key, 'account:target@throttle.test'))).toHaveLength(0);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy, so one address rotating it is held back', async () => {
    const statuses: number[] = [];
    // Different accounts, so only the address can be what stops them.
    for (let guess = 0; guess < 10; guess++) statuses.push((await signIn(`nobody-${guess}@throttle.test`, 'wrong', { forwardedFor: nextAddress(), peerAddress: '192.0.2.20' })).status);
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(401));
    expect(statuses.slice(8)).toEqual([429, 429]);

    const refused = await signIn('direct@throttle.test', 'correct-horse', { forwardedFor: nextAddress(), peerAddress: '192.0.2.20' });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { message: string }).message).toBe('Too many failed sign-ins from your address. Wait a minute and try again.');
    expect(await sessionCount(users.direct!)).toBe(0);
    expect(await db.select().from(auditLog).where(and(eq(auditLog.action, 'auth.addressThrottled'), eq(auditLog.target, '192.0.2.20')))).toHaveLength(1);

    // Another address is not held back, and its session records the peer, not what it claimed.
    const other = await signIn('direct@throttle.test', 'correct-horse', { forwardedFor: '203.0.113.9', peerAddress: '192.0.2.21' });
    expect(other.status).toBe(200);
    const [session] = await db.select().from(sessions).where(eq(sessions.userId, users.direct!));
    expect(session!.ipAddress).toBe('192.0.2.21');
  });

  it("believes a trusted proxy's X-Forwarded-For: clients behind it are told apart", async () => {
    const statuses: number[] = [];
    for (let guess = 0; guess < 12; guess++) statuses.push((await signIn(`someone-${guess}@throttle.test`, 'wrong', { forwardedFor: nextAddress(), peerAddress: '10.9.3.4' })).status);
    expect(statuses).toEqual(Array(12).fill(401));
    expect(await db.select().from(signInThrottle).where(eq(signInThrottle.key, 'address:10.9.3.4'))).toHaveLength(0);

    const response = await signIn('proxied@throttle.test', 'correct-horse', { forwardedFor: '203.0.113.50, 10.9.0.2', peerAddress: '::ffff:10.9.3.4' });
    expect(response.status).toBe(200);
    const [session] = await db.select().from(sessions).where(eq(sessions.userId, users.proxied!));
    expect(session!.ipAddress).toBe('203.0.113.50');
  });

  it('does not count a right password against its address', async () => {
    for (let attempt = 0; attempt < 12; attempt++) expect((await signIn('unlocked@throttle.test', 'correct-horse', { peerAddress: '192.0.2.30' })).status).toBe(200);
    const [row] = await db.select().from(signInThrottle).where(and(eq(signInThrottle.key, 'address:192.0.2.30'), gt(signInThrottle.attempts, 0)));
    expect(row).toBeUndefined();
  });
});

describe('sign-in settings', () => {
  it('stop the console before Next.js starts, not at the first sign-in', () => {
    process.env.SIGN_IN_LOCK_MINUTES = 'a while';
    try {
      expect(() => consoleCommand({ mode: 'start', port: 3998, databaseUrl: 'postgres://unused', demo: false, orderApiUrl: 'http://unused' })).toThrow(
        /^SIGN_IN_LOCK_MINUTES must be a whole number from 1 to \d+, e\.g\. 15; got "a while"$/,
      );
    } finally {
      process.env.SIGN_IN_LOCK_MINUTES = '15';
    }
  });

  it.each([
    ['SIGN_IN_FAILURES_BEFORE_LOCK', 'ten'],
    ['SIGN_IN_LOCK_MINUTES', '0'],
    ['SIGN_IN_FAILURES_PER_ADDRESS_PER_MINUTE', '-1'],
    ['LOGIN_ATTEMPTS_PER_MINUTE', '1e3'],
    ['SESSION_IDLE_MINUTES', '60m'],
    ['SESSION_MAX_HOURS', 'xxx'],
    ['TRUSTED_PROXIES', '10.0.0.0/33'],
    ['TRUSTED_PROXIES', 'proxy.internal'],
  ])('refuses %s=%s with one line naming it', (variable, value) => {
    const saved = process.env[variable];
    process.env[variable] = value;
    try {
      expect(() => authSettings()).toThrow(SettingError);
      expect(() => authSettings()).toThrow(new RegExp(`^${variable} must be`));
    } finally {
      if (saved === undefined) delete process.env[variable];
      else process.env[variable] = saved;
    }
  });
});
