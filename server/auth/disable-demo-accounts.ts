import { inArray } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { accounts, sessions, users } from '@/db/schema';
import { demoUsers } from './seed-users';

/**
 * Outside demo mode the demo accounts' passwords are printed in the repository and on the demo
 * sign-in page, so their credentials and sessions are deleted: nobody can sign in as them, and a
 * cookie from earlier is no longer a session. The user rows stay, so audit entries and approvals
 * that name them still read as before, and demo mode gives them their password back
 * (seedDemoUsers). Returns the emails of the accounts that had a way in.
 */
export async function disableDemoAccounts(db: Executor): Promise<string[]> {
  const demo = await db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.email, demoUsers.map((user) => user.email)));
  if (demo.length === 0) return [];
  const ids = demo.map((user) => user.id);
  const credentials = await db.delete(accounts).where(inArray(accounts.userId, ids)).returning({ userId: accounts.userId });
  const ended = await db.delete(sessions).where(inArray(sessions.userId, ids)).returning({ userId: sessions.userId });
  const disabled = new Set([...credentials, ...ended].map((row) => row.userId));
  return demo.filter((user) => disabled.has(user.id)).map((user) => user.email);
}
