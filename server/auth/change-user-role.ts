import { and, count, eq, ne } from 'drizzle-orm';
import type { Database, Executor } from '@/db/client';
import { users, type Role } from '@/db/schema';
import { DomainError } from '@/server/errors';

/**
 * Changes a user's role, never leaving the console without an admin. Every admin row is locked
 * first (in id order), so two admins demoting each other at once run one after the other and
 * the second sees the first's change.
 */
export async function changeUserRole(db: Database, input: { userId: string; role: Role }) {
  return db.transaction(async (tx) => {
    await tx.select({ id: users.id }).from(users).where(eq(users.role, 'admin')).orderBy(users.id).for('update');
    return changeRoleLocked(tx, input);
  });
}

async function changeRoleLocked(db: Executor, input: { userId: string; role: Role }) {
  const [user] = await db.select().from(users).where(eq(users.id, input.userId)).for('update');
  if (!user) throw new DomainError('NOT_FOUND', 'No such user: it may have been removed. Refresh the list.');
  if (user.role === input.role) return { user, changed: false };
  if (user.role === 'admin') {
    const [others] = await db.select({ n: count() }).from(users).where(and(eq(users.role, 'admin'), ne(users.id, user.id)));
    if (!others || others.n === 0) throw new DomainError('CONFLICT', `${user.email} is the last admin; make another user admin first.`);
  }
  const [updated] = await db.update(users).set({ role: input.role, updatedAt: new Date() }).where(eq(users.id, user.id)).returning();
  return { user: updated!, changed: true, previousRole: user.role };
}
