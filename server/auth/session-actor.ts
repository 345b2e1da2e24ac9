import 'server-only';
import { asDatabaseUnavailable } from '@/server/errors';
import type { AuditActor } from '@/server/ops/audit';
import { isRole, type Role } from '@/shared/roles';
import { getAuth } from './auth';

/**
 * The user a request's session cookie belongs to (better-auth reads the session from the
 * database), or null when it carries no valid session or a user without a known role. A
 * database outage is a DomainError SERVICE_UNAVAILABLE, so every caller can tell the user
 * to try again instead of failing with a bare 500.
 */
export async function sessionActor(headers: Headers): Promise<AuditActor | null> {
  const session = await getAuth()
    .api.getSession({ headers })
    .catch((error: unknown) => {
      throw asDatabaseUnavailable(error) ?? error;
    });
  const role = (session?.user as { role?: string } | undefined)?.role;
  if (!session || !role || !isRole(role)) return null;
  return { id: session.user.id, email: session.user.email, role: role as Role };
}
