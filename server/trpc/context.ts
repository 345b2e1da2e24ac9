import 'server-only';
import { getDatabase } from '@/db/client';
import { authSettings } from '@/server/auth/auth-settings';
import { clientAddress } from '@/server/auth/client-address';
import { sessionActor } from '@/server/auth/session-actor';
import { DomainError } from '@/server/errors';
import { type Context, toTrpcError } from './init';

/** Builds the tRPC context from a request's session cookie. */
export async function createContext(headers: Headers): Promise<Context> {
  const actor = await sessionActor(headers).catch((error: unknown) => {
    throw error instanceof DomainError ? toTrpcError(error) : error;
  });
  return { db: getDatabase(), actor, clientAddress: clientAddress(headers, authSettings().trustedProxies) };
}
