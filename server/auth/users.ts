import { asc, gt } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { users } from '@/db/schema';

/** Users in email order, keyset-paginated by email (unique). */
export async function listUsers(db: Executor, input: { cursor?: string; limit: number }) {
  const rows = await db
    .select({ id: users.id, email: users.email, name: users.name, role: users.role, mustChangePassword: users.mustChangePassword, createdAt: users.createdAt })
    .from(users)
    .where(input.cursor ? gt(users.email, input.cursor) : undefined)
    .orderBy(asc(users.email))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { users: page, nextCursor: rows.length > input.limit ? page[page.length - 1]!.email : null };
}
