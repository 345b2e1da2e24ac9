import { randomUUID } from 'node:crypto';
import { hashPassword } from 'better-auth/crypto';
import { eq } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { accounts, users, type Role } from '@/db/schema';
import { DomainError } from '@/server/errors';

export interface NewUser {
  email: string;
  name: string;
  role: Role;
  password: string;
}

/**
 * Creates a user who signs in with email and password. The password is hashed by
 * better-auth's own hasher, so its sign-in verifies it; we never store it otherwise.
 */
export async function createUser(db: Executor, input: NewUser) {
  const email = input.email.trim().toLowerCase();
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
  if (existing) throw new DomainError('CONFLICT', `A user with the email ${email} already exists.`);
  if (input.password.length < 8) throw new DomainError('BAD_REQUEST', 'The password must have at least 8 characters.');
  const id = randomUUID();
  const [user] = await db.insert(users).values({ id, email, name: input.name, role: input.role, emailVerified: true }).returning();
  await db.insert(accounts).values({ id: randomUUID(), accountId: id, providerId: 'credential', userId: id, password: await hashPassword(input.password) });
  return user!;
}
