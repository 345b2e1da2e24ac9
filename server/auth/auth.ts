import 'server-only';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { and, eq, lt } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { getDatabase } from '@/db/client';
import { accounts, rateLimits, sessions, users, verifications } from '@/db/schema';
import { asDatabaseUnavailable } from '@/server/errors';
import type { AuditActor } from '@/server/ops/audit';
import { isRole } from '@/shared/roles';
import { BACKGROUND_REQUEST_HEADER } from '@/shared/session';
import { authSettings, type AuthSettings } from './auth-settings';
import { clientAddress, servedOverHttps, type RequestOrigin } from './client-address';
import { admitSignInAttempt, recordSuccessfulSignIn } from './sign-in-throttle';

function appUrl(): string {
  return process.env.APP_URL ?? `http://localhost:${process.env.PORT ?? 3000}`;
}


/** The client address we derived (TRUSTED_PROXIES applied); any value a caller sends is replaced. */
const CLIENT_ADDRESS_HEADER = 'x-conveyor-client-address';

function createBetterAuth(db: Database, settings: AuthSettings, url: string, https: boolean) {
  const idle = settings.sessionIdleMinutes * 60;
  return betterAuth({
    appName: 'Conveyor',
    baseURL: url,
    secret: process.env.AUTH_SECRET,
    trustedOrigins: [url, url.replace('localhost', '127.0.0.1')],
    database: drizzleAdapter(db, {
      provider: 'pg',
      schema: { user: users, session: sessions, account: accounts, verification: verifications, rateLimit: rateLimits },
    }),
    // Accounts are made by an admin or the demo seed, never by self-service sign-up.
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 8 },
    user: {
      additionalFields: {
        role: { type: 'string', required: false, input: false, defaultValue: 'viewer' },
        mustChangePassword: { type: 'boolean', required: false, input: false, defaultValue: false },
      },
    },
    // Sliding expiry: a session used within `idle` seconds is extended; one left idle expires.
    // The absolute lifetime (SESSION_MAX_HOURS) is enforced where sessions are read, in sessionActor.
    session: { expiresIn: idle, updateAge: Math.min(60, Math.floor(idle / 4)) },
    rateLimit: {
      enabled: true,
      storage: 'database',
      window: 60,
      max: 300,
      customRules: { '/sign-in/email': { window: 60, max: settings.loginAttemptsPerMinute } },
    },
    advanced: {
      ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] },
      // Over https the session cookie is Secure and __Host- prefixed: only this origin, over TLS, can set or read it.
      useSecureCookies: false,
      ...(https ? { cookiePrefix: '__Host-conveyor' } : {}),
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax', path: '/', secure: https },
    },
    telemetry: { enabled: false },
    // Failed sign-ins are expected in tests; in the console they are answered, not logged.
    logger: { disabled: process.env.NODE_ENV === 'test' },
  });
}

/**
 * The better-auth endpoints the console uses. The rest (change-password, update-user,
 * revoke-sessions, ...) would change accounts past our audit log and rules, so they are not served.
 */
const servedAuthPaths = new Set(['/sign-in/email', '/sign-out', '/get-session']);

/**
 * better-auth gives the session cookie a Max-Age of the idle timeout and renews it only from its
 * own endpoints; our tRPC calls extend the session row but cannot resend the cookie. So the cookie
 * lasts the absolute lifetime, and idle and absolute expiry are both decided by the session row.
 */
function cookieLastingTheSession(response: Response, seconds: number): Response {
  const headers = new Headers();
  for (const [name, value] of response.headers) if (name !== 'set-cookie') headers.append(name, value);
  for (const cookie of response.headers.getSetCookie()) {
    headers.append('set-cookie', /^[^=]*\.session_token=/.test(cookie) ? cookie.replace(/Max-Age=\d+/i, `Max-Age=${seconds}`).replace(/; Expires=[^;]*/i, '') : cookie);
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function signInEmail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { email?: unknown };
    return typeof parsed.email === 'string' ? parsed.email.trim().toLowerCase() : '';
  } catch {
    return '';
  }
}

/**
 * The console's sign-in and sessions: better-auth (one instance for https, one for http, as the
 * cookies differ) behind our own sign-in throttle and session rules.
 */
export function createAuth(db: Database) {
  const settings = authSettings();
  const url = appUrl();
  const overHttps = createBetterAuth(db, settings, url, true);
  const overHttp = createBetterAuth(db, settings, url, false);
  const instanceFor = (headers: Headers) => (servedOverHttps(headers, url, settings.trustedProxies) ? overHttps : overHttp);

  return {
    settings,
    instanceFor,

    /** Every /api/auth request. `origin.peerAddress` is the connection's address when the server knows it. */
    async handle(request: Request, origin: RequestOrigin = {}): Promise<Response> {
      const address = clientAddress(request.headers, settings.trustedProxies, origin);
      const headers = new Headers(request.headers);
      headers.set(CLIENT_ADDRESS_HEADER, address);
      const auth = instanceFor(request.headers);
      const path = new URL(request.url).pathname.replace(/^\/api\/auth/, '');
      if (!servedAuthPaths.has(path)) {
        return Response.json(
          { error: 'NOT_FOUND', message: 'Not served here: sign in on the sign-in page, and change your password on the console\'s Account page.' },
          { status: 404 },
        );
      }
      if (request.method !== 'POST' || path !== '/sign-in/email') return auth.handler(new Request(request, { headers }));

      const body = await request.text();
      const forwarded = new Request(request.url, { method: 'POST', headers, body });
      const email = signInEmail(body);
      const refusal = await admitSignInAttempt(db, settings, { email, address });
      if (refusal) {
        return Response.json(
          { error: 'TOO_MANY_SIGN_IN_ATTEMPTS', message: refusal.message },
          { status: 429, headers: { 'retry-after': String(refusal.retryAfterSeconds), 'x-retry-after': String(refusal.retryAfterSeconds) } },
        );
      }
      const response = await auth.handler(forwarded);
      if (!response.ok) return response;
      await recordSuccessfulSignIn(db, { email, address });
      return cookieLastingTheSession(response, settings.sessionMaxHours * 3_600);
    },

    /**
     * The user a request's session cookie belongs to and that session's id, or null when it carries
     * no valid session, a session past its absolute lifetime (then deleted), or a user without a
     * known role. A database outage is a DomainError SERVICE_UNAVAILABLE, so every caller can tell
     * the user to try again.
     */
    async signedIn(headers: Headers): Promise<{ actor: AuditActor; sessionId: string } | null> {
      const session = await instanceFor(headers)
        .api.getSession({ headers, query: { disableRefresh: headers.get(BACKGROUND_REQUEST_HEADER) === '1' } })
        .catch((error: unknown) => {
          throw asDatabaseUnavailable(error) ?? error;
        });
      if (!session) return null;
      const startedBefore = new Date(Date.now() - settings.sessionMaxHours * 3_600_000);
      if (session.session.createdAt < startedBefore) {
        await db.delete(sessions).where(and(eq(sessions.id, session.session.id), lt(sessions.createdAt, startedBefore)));
        return null;
      }
      const user = session.user as { role?: string; mustChangePassword?: boolean };
      if (!user.role || !isRole(user.role)) return null;
      const actor: AuditActor = { id: session.user.id, email: session.user.email, role: user.role, ...(user.mustChangePassword ? { mustChangePassword: true } : {}) };
      return { actor, sessionId: session.session.id };
    },

    async sessionActor(headers: Headers): Promise<AuditActor | null> {
      return (await this.signedIn(headers))?.actor ?? null;
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;

const globalForAuth = globalThis as unknown as { conveyorAuth?: Auth };

export function getAuth(): Auth {
  return (globalForAuth.conveyorAuth ??= createAuth(getDatabase()));
}
