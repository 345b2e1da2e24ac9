import { randomBytes, randomUUID } from 'node:crypto';
import { hashPassword } from 'better-auth/crypto';
import { eq } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { accounts, users, type Role } from '@/db/schema';
import { createUser } from './create-user';
import { roles } from '@/shared/roles';

/** Known accounts for demo mode; the sign-in page lists them only when DEMO is on. */
export const demoUsers = roles.map((role) => ({
  role,
  email: `${role}@conveyor.demo`,
  password: `${role}-demo-pass`,
  name: `Demo ${role}`,
}));

/** The launcher turns DEMO on by default for the embedded database (server/cli/start.ts). */
export function demoMode(): boolean {
  return process.env.DEMO === 'true' || process.env.DEMO === '1';
}

/** Creates the demo accounts, and gives back the password of one disabled outside demo mode (disable-demo-accounts.ts). */
export async function seedDemoUsers(db: Database): Promise<void> {
  for (const user of demoUsers) {
    const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, user.email));
    if (!existing) {
      await createUser(db, user);
      continue;
    }
    const [credential] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.userId, existing.id));
    if (!credential) {
      await db.insert(accounts).values({ id: randomUUID(), accountId: existing.id, providerId: 'credential', userId: existing.id, password: await hashPassword(user.password) });
    }
  }
}

/**
 * The first admin: ADMIN_EMAIL/ADMIN_PASSWORD when given; otherwise, on a database with no
 * admin at all, one with a random password that is printed once and never stored in clear.
 */
export async function ensureFirstAdmin(db: Database, log: (line: string) => void): Promise<void> {
  const email = process.env.ADMIN_EMAIL?.trim().toLowerCase();
  if (email) {
    const [existing] = await db.select().from(users).where(eq(users.email, email));
    if (existing) {
      if (existing.role !== 'admin') await db.update(users).set({ role: 'admin' as Role }).where(eq(users.id, existing.id));
      return;
    }
    const password = process.env.ADMIN_PASSWORD;
    if (!password) throw new Error('ADMIN_EMAIL is set but ADMIN_PASSWORD is not: set both to create the first admin.');
    await createUser(db, { email, name: 'Administrator', role: 'admin', password });
    log(`Created admin ${email} (password from ADMIN_PASSWORD).`);
    return;
  }
  const [anyAdmin] = await db.select({ id: users.id }).from(users).where(eq(users.role, 'admin')).limit(1);
  if (anyAdmin) return;
  const password = randomBytes(12).toString('base64url');
  await createUser(db, { email: 'admin@conveyor.local', name: 'Administrator', role: 'admin', password });
  log(`Created the first admin: admin@conveyor.local / ${password} — this password is shown once; change it or set ADMIN_EMAIL/ADMIN_PASSWORD.`);
}
