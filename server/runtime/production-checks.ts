import { eq, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { users } from '@/db/schema';
import { demoUsers } from '@/server/auth/seed-users';
import { isRepositorySecret } from './repository-secrets';
import { SettingError } from './settings';

export const AUTH_SECRET_MIN_LENGTH = 32;
const GENERATE = 'generate one with `openssl rand -base64 32`';

/** A secret production needs: set, and not a value anyone can read in this repository. */
function requireSecret(variable: string, what: string, minLength = 1): string {
  const value = process.env[variable];
  if (!value) throw new SettingError(variable, `${variable} is not set: production mode needs ${what}; ${GENERATE} (or set DEMO=true for a demo)`);
  if (isRepositorySecret(value)) throw new SettingError(variable, `${variable} equals a value written in the Conveyor repository, which anyone can read: ${GENERATE}`);
  if (value.length < minLength) throw new SettingError(variable, `${variable} has ${value.length} characters; production mode needs at least ${minLength}: ${GENERATE}`);
  return value;
}

const generateWebhookSecretHint = `generate one with \`node -e "console.log('whsec_'+require('crypto').randomBytes(32).toString('base64'))"\``;

/** A webhook secret variable holds one or more space-separated secrets (several while rotating): none may be a repository value. */
function requireWebhookSecrets(variable: string, what: string): void {
  const value = process.env[variable]?.trim();
  if (!value) throw new SettingError(variable, `${variable} is not set: production mode needs ${what}; ${generateWebhookSecretHint} (or set DEMO=true for a demo)`);
  const entries = value.split(/\s+/);
  const known = entries.findIndex((entry) => isRepositorySecret(entry));
  if (known >= 0) {
    throw new SettingError(variable, `${variable} entry ${known + 1} of ${entries.length} equals a value written in the Conveyor repository, which anyone can read: ${generateWebhookSecretHint}`);
  }
}

/** The order API verifies the payment provider's and the warehouse's callbacks with these. */
export function checkWebhookSecrets(): void {
  requireWebhookSecrets('PAYMENT_WEBHOOK_SECRET', "the payment provider's webhook signing secret");
  requireWebhookSecrets('WMS_WEBHOOK_SECRET', "the warehouse's webhook signing secret");
}

/** The console signs session cookies with it. */
export function checkAuthSecret(): void {
  requireSecret('AUTH_SECRET', 'the secret that signs session cookies', AUTH_SECRET_MIN_LENGTH);
}

const demoEmails = new Set(demoUsers.map((user) => user.email));

/**
 * The first admin, checked before seeding: when ADMIN_EMAIL/ADMIN_PASSWORD would create an
 * account, or when the database has no admin at all (demo mode would then invent one with a
 * printed password, which production must not). A database not migrated yet has no admin.
 */
export async function checkFirstAdmin(db: Database): Promise<void> {
  const email = process.env.ADMIN_EMAIL?.trim().toLowerCase();
  if (email && demoEmails.has(email)) {
    throw new SettingError('ADMIN_EMAIL', `ADMIN_EMAIL is the demo account ${email}, which production mode disables: give a real address`);
  }
  const [table] = await db.execute<{ exists: boolean }>(sql`select to_regclass('public.users') is not null as exists`);
  const adminExists = async (where = eq(users.role, 'admin')) =>
    table?.exists ? (await db.select({ id: users.id }).from(users).where(where).limit(1)).length > 0 : false;
  if (email) {
    // An existing account is only promoted (server/auth/seed-users.ts): its password is not touched.
    if (await adminExists(eq(users.email, email))) return;
    requireSecret('ADMIN_PASSWORD', `the password of the first admin ${email}`, 12);
    return;
  }
  if (await adminExists()) return;
  throw new SettingError('ADMIN_EMAIL', 'ADMIN_EMAIL is not set and the database has no admin: production mode needs ADMIN_EMAIL and ADMIN_PASSWORD for the first admin');
}

/**
 * An operator's DATABASE_URL must not connect as a superuser: one injected statement would then
 * own the whole server (read other databases, run programs through COPY … TO PROGRAM). Refused
 * rather than warned about, since a warning in a log changes nothing; managed services' admin
 * roles (e.g. RDS's rds_superuser members) are not superusers and pass.
 */
export async function checkDatabaseRole(db: Database): Promise<void> {
  const [row] = await db.execute<{ role: string; superuser: boolean }>(sql`select current_user as role, rolsuper as superuser from pg_roles where rolname = current_user`);
  if (!row?.superuser) return;
  const database = (await db.execute<{ name: string }>(sql`select current_database() as name`))[0]!.name;
  throw new SettingError(
    'DATABASE_URL',
    `DATABASE_URL connects as the superuser ${row.role}: production mode needs a role that owns the database and is not a superuser (CREATE ROLE conveyor LOGIN PASSWORD '…'; ALTER DATABASE ${database} OWNER TO conveyor), or DEMO=true`,
  );
}
