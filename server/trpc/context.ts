import { getDatabase } from '@/db/client';
import type { Role } from '@/db/schema';
import { getAuth } from '@/server/auth/auth';
import { isRole } from '@/server/auth/roles';
import { asDatabaseUnavailable } from '@/server/database-unavailable';
import { type Context, toTrpcError } from './init';

/** Builds the tRPC context from a request's session cookie (better-auth reads it from the DB). */
export async function createContext(headers: Headers): Promise<Context> {
  const db = getDatabase();
  const session = await getAuth()
    .api.getSession({ headers })
    .catch((error: unknown) => {
      const outage = asDatabaseUnavailable(error);
      throw outage ? toTrpcError(outage) : error;
    });
  const role = (session?.user as { role?: string } | undefined)?.role;
  if (!session || !role || !isRole(role)) return { db, actor: null };
  return { db, actor: { id: session.user.id, email: session.user.email, role: role as Role } };
}
