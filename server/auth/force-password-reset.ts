import { eq } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { sessions, users } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { clearSignInLock } from './sign-in-throttle';

/**
 * An admin makes a user set a new password: every session of theirs ends now, and at their next
 * sign-in they can do nothing but set one (see allowedBeforePasswordChange). A sign-in lock is
 * lifted, so a locked-out user can come back.
 */
export async function forcePasswordReset(db: Executor, input: { userId: string; adminId: string }) {
  if (input.userId === input.adminId) throw new DomainError('BAD_REQUEST', 'To change your own password use the Account page.');
  return db.transaction(async (tx) => {
    const [user] = await tx.update(users).set({ mustChangePassword: true, updatedAt: new Date() }).where(eq(users.id, input.userId)).returning();
    if (!user) throw new DomainError('NOT_FOUND', 'No such user: it may have been removed. Refresh the list.');
    const revoked = await tx.delete(sessions).where(eq(sessions.userId, user.id)).returning({ id: sessions.id });
    await clearSignInLock(tx, user.email);
    return { id: user.id, email: user.email, sessionsEnded: revoked.length };
  });
}
