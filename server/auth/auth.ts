import 'server-only';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import type { Database } from '@/db/client';
import { getDatabase } from '@/db/client';
import { accounts, rateLimits, sessions, users, verifications } from '@/db/schema';

function appUrl(): string {
  return process.env.APP_URL ?? `http://localhost:${process.env.PORT ?? 3000}`;
}

export function sessionIdleSeconds(): number {
  return Number(process.env.SESSION_IDLE_MINUTES ?? 60) * 60;
}

export function createAuth(db: Database) {
  const idle = sessionIdleSeconds();
  return betterAuth({
    appName: 'Conveyor',
    baseURL: appUrl(),
    secret: process.env.AUTH_SECRET,
    trustedOrigins: [appUrl(), appUrl().replace('localhost', '127.0.0.1')],
    database: drizzleAdapter(db, {
      provider: 'pg',
      schema: { user: users, session: sessions, account: accounts, verification: verifications, rateLimit: rateLimits },
    }),
    // Accounts are made by an admin or the demo seed, never by self-service sign-up.
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 8 },
    user: {
      additionalFields: { role: { type: 'string', required: false, input: false, defaultValue: 'viewer' } },
    },
    // Sliding expiry: a session used within `idle` seconds is extended; one left idle expires.
    session: { expiresIn: idle, updateAge: Math.min(60, Math.floor(idle / 4)) },
    rateLimit: {
      enabled: true,
      storage: 'database',
      window: 60,
      max: 300,
      customRules: {
        '/sign-in/email': { window: 60, max: Number(process.env.LOGIN_ATTEMPTS_PER_MINUTE ?? 10) },
      },
    },
    advanced: {
      ipAddress: { ipAddressHeaders: ['x-forwarded-for', 'x-real-ip'] },
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax' },
    },
    telemetry: { enabled: false },
    // Failed sign-ins are expected in tests; in the console they are answered, not logged.
    logger: { disabled: process.env.NODE_ENV === 'test' },
  });
}

export type Auth = ReturnType<typeof createAuth>;

const globalForAuth = globalThis as unknown as { conveyorAuth?: Auth };

export function getAuth(): Auth {
  return (globalForAuth.conveyorAuth ??= createAuth(getDatabase()));
}
