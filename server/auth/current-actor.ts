import 'server-only';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { isDomainError } from '@/server/errors';
import type { AuditActor } from '@/server/ops/audit';
import { sessionActor } from './session-actor';

export type ConsoleSession = { kind: 'signed-in'; actor: AuditActor } | { kind: 'unavailable'; message: string };

/**
 * For the console's server-rendered shell: the signed-in user, a redirect to the sign-in page,
 * or, while the database cannot be reached, the sentence to show instead. Next.js hides a
 * server component's error behind a generic message in production, so the outage is answered
 * here, where it is still known for what it is.
 */
export async function consoleSession(): Promise<ConsoleSession> {
  let actor: AuditActor | null;
  try {
    actor = await sessionActor(await headers());
  } catch (error) {
    if (isDomainError(error, 'SERVICE_UNAVAILABLE')) return { kind: 'unavailable', message: error.message };
    throw error;
  }
  if (!actor) redirect('/sign-in');
  return { kind: 'signed-in', actor };
}
