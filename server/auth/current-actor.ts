import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { createContext } from '@/server/trpc/context';
import type { AuditActor } from '@/server/ops/audit';

/** For server components: the signed-in user, or a redirect to the sign-in page. */
export async function requireActor(): Promise<AuditActor> {
  const { actor } = await createContext(await headers());
  if (!actor) redirect('/sign-in');
  return actor;
}
