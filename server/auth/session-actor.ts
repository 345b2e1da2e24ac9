import 'server-only';
import type { AuditActor } from '@/server/ops/audit';
import { getAuth } from './auth';

/** The signed-in user of a request (see Auth.sessionActor), with the console's own auth. */
export function sessionActor(headers: Headers): Promise<AuditActor | null> {
  return getAuth().sessionActor(headers);
}
