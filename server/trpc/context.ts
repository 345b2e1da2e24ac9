import 'server-only';
import { getDatabase } from '@/db/client';
import { clientAddress } from '@/server/auth/client-address';
import { getAuth } from '@/server/auth/auth';
import { isDomainError } from '@/server/errors';
import { type Context, toTrpcError } from './init';

/** Builds the tRPC context from a request's session cookie. */
export async function createContext(headers: Headers): Promise<Context> {
  const auth = getAuth();
  const signedIn = await auth.signedIn(headers).catch((error: unknown) => {
    throw isDomainError(error) ? toTrpcError(error) : error;
  });
  return { db: getDatabase(), actor: signedIn?.actor ?? null, sessionId: signedIn?.sessionId, clientAddress: clientAddress(headers, auth.settings.trustedProxies) };
}
