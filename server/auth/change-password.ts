import { hashPassword, verifyPassword } from 'better-auth/crypto';
import { and, eq, ne } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { accounts, sessions, users } from '@/db/schema';
import { DomainError } from '@/server/errors';
import type { AuthSettings } from './auth-settings';
import { admitSignInAttempt, recordSuccessfulSignIn } from './sign-in-throttle';

export const MIN_PASSWORD_LENGTH = 8;

interface PasswordChange {
  userId: string;
  email: string;
  clientAddress: string;
  keepSessionId?: string;
  currentPassword: string;
  newPassword: string;
}

/**
 * A signed-in user sets a new password: the current one is required, the user's other sessions
 * end (whoever else holds one is signed out), and a reset an admin asked for is done. Each try
 * counts as a sign-in attempt, so a stolen session cannot guess the current password at leisure.
 */
export async function changeOwnPassword(db: Executor, settings: AuthSettings, input: PasswordChange) {
  if (input.newPassword.length < MIN_PASSWORD_LENGTH) throw new DomainError('BAD_REQUEST', `The new password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
  if (input.newPassword === input.currentPassword) throw new DomainError('BAD_REQUEST', 'The new password must differ from the current one.');
  const attempt = { email: input.email.trim().toLowerCase(), address: input.clientAddress };
  const refusal = await admitSignInAttempt(db, settings, attempt);
  if (refusal) throw new DomainError('FORBIDDEN', refusal.message);
  const changed = await db.transaction(async (tx) => {
    const [account] = await tx
      .select({ id: accounts.id, password: accounts.password })
      .from(accounts)
      .where(and(eq(accounts.userId, input.userId), eq(accounts.providerId, 'credential')))
      .for('update');
    if (!account?.password) throw new DomainError('NOT_FOUND', 'Your account has no password to change; ask an admin.');
    if (!(await verifyPassword({ hash: account.password, password: input.currentPassword }))) {
      throw new DomainError('FORBIDDEN', 'Your current password is not right. Type it again; nothing was changed.');
    }
    await tx.update(accounts).set({ password: await hashPassword(input.newPassword), updatedAt: new Date() }).where(eq(accounts.id, account.id));
    await tx.update(users).set({ mustChangePassword: false, updatedAt: new Date() }).where(eq(users.id, input.userId));
    const revoked = await tx
      .delete(sessions)
      .where(input.keepSessionId ? and(eq(sessions.userId, input.userId), ne(sessions.id, input.keepSessionId)) : eq(sessions.userId, input.userId))
      .returning({ id: sessions.id });
    return { otherSessionsEnded: revoked.length };
  });
  await recordSuccessfulSignIn(db, attempt);
  return changed;
}
