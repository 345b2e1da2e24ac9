'use client';

import { createContext, useContext, type ReactNode } from 'react';
import { hasRole, type Role } from '@/shared/roles';
import type { AuditActor } from '@/server/ops/audit';

const ActorContext = createContext<AuditActor | null>(null);

export function ActorProvider({ actor, children }: { actor: AuditActor; children: ReactNode }) {
  return <ActorContext.Provider value={actor}>{children}</ActorContext.Provider>;
}

export function useActor(): AuditActor | null {
  return useContext(ActorContext);
}

/** Whether the signed-in user may use an action; the server checks again on every call. */
export function useCan(required: Role): boolean {
  const actor = useContext(ActorContext);
  return actor !== null && hasRole(actor.role, required);
}
