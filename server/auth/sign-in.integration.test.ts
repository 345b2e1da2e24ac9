import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '@/db/schema';
import { createTestDatabase } from '@/test/database';
import { createAuth } from './auth';
import { createUser } from './create-user';

process.env.LOGIN_ATTEMPTS_PER_MINUTE = '5';
process.env.APP_URL = 'http://localhost:3999';
process.env.AUTH_SECRET = 'test-secret-test-secret-test-secret-0123';

const { db } = await createTestDatabase();
const auth = createAuth(db);

function signIn(email: string, password: string, ip: string) {
  return auth.handle(
    new Request('http://localhost:3999/api/auth/sign-in/email', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3999', 'x-forwarded-for': ip },
      body: JSON.stringify({ email, password }),
    }),
  );
}

function sessionCookie(response: Response): string {
  const cookie = response.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0]!;
}

describe('sign-in', () => {
  beforeAll(async () => {
    await createUser(db, { email: 'agent@signin.test', name: 'Agent', role: 'support', password: 'correct-horse' });
  });

  it('sets an httpOnly SameSite session cookie backed by a session row', async () => {
    const response = await signIn('agent@signin.test', 'correct-horse', '10.0.0.1');
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const session = await auth.instanceFor(new Headers()).api.getSession({ headers: new Headers({ cookie: sessionCookie(response) }) });
    expect(session?.user.email).toBe('agent@signin.test');
    expect((session?.user as { role?: string }).role).toBe('support');
  });

  it('refuses a wrong password with 401', async () => {
    const response = await signIn('agent@signin.test', 'wrong-password', '10.0.0.2');
    expect(response.status).toBe(401);
  });

  it('rate-limits repeated sign-in attempts from one address', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) statuses.push((await signIn('agent@signin.test', 'guess-' + attempt, '10.0.0.3')).status);
    expect(statuses.slice(0, 5).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // Another address is not held back by the first one's attempts.
    expect((await signIn('agent@signin.test', 'correct-horse', '10.0.0.4')).status).toBe(200);
  });

  it('ends a session left idle past its expiry', async () => {
    const response = await signIn('agent@signin.test', 'correct-horse', '10.0.0.5');
    const cookie = sessionCookie(response);
    const token = decodeURIComponent(cookie.split('=')[1]!).split('.')[0]!;
    await db.update(sessions).set({ expiresAt: new Date(Date.now() - 1_000) }).where(eq(sessions.token, token));
    expect(await auth.instanceFor(new Headers()).api.getSession({ headers: new Headers({ cookie }) })).toBeNull();
  });

  it('signs out by deleting the session', async () => {
    const response = await signIn('agent@signin.test', 'correct-horse', '10.0.0.6');
    const cookie = sessionCookie(response);
    await auth.instanceFor(new Headers()).api.signOut({ headers: new Headers({ cookie }) });
    expect(await auth.instanceFor(new Headers()).api.getSession({ headers: new Headers({ cookie }) })).toBeNull();
  });
});
