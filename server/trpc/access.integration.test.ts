import { TRPCError } from '@trpc/server';
import { desc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, type Role } from '@/db/schema';
import { roles } from '@/shared/roles';
import { createTestDatabase } from '@/test/database';
import type { ProcedureMeta } from './init';
import { appRouter, createCaller } from './root';

const { db } = await createTestDatabase();

interface ProcedureDef {
  type: 'query' | 'mutation' | 'subscription';
  meta?: ProcedureMeta;
}

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>);
const mutations = procedures.filter(([, procedure]) => procedure._def.type === 'mutation');

function callerAs(role: Role | null) {
  return createCaller({ db, actor: role ? { id: `user-${role}`, email: `${role}@access.test`, role } : null });
}

async function callMutation(role: Role | null, path: string) {
  const caller = callerAs(role) as unknown as Record<string, unknown>;
  const procedure = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as (input: unknown) => Promise<unknown>;
  return procedure({ reason: 'access check' });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    return error instanceof TRPCError ? error.code : `not a tRPC error: ${String(error)}`;
  }
}

describe('access by role', () => {
  beforeAll(() => {
    expect(mutations.length).toBeGreaterThan(0);
  });

  it('declares a required role on every procedure', () => {
    for (const [path, procedure] of procedures) {
      expect(procedure._def.meta?.requiredRole, `${path} has no role`).toBeDefined();
    }
  });

  it.each(mutations.map(([path, procedure]) => [path, procedure._def.meta!.requiredRole!] as const))(
    '%s refuses anonymous callers and every role below %s, and audits the refusal',
    async (path, required) => {
      expect(await codeOf(callMutation(null, path))).toBe('UNAUTHORIZED');
      for (const role of roles.slice(0, roles.indexOf(required))) {
        expect(await codeOf(callMutation(role, path)), `${role} calling ${path}`).toBe('FORBIDDEN');
        const [entry] = await db.select().from(auditLog).where(eq(auditLog.actorEmail, `${role}@access.test`)).orderBy(desc(auditLog.id)).limit(1);
        expect(entry).toMatchObject({ action: path, outcome: 'denied', actorRole: role, reason: 'access check' });
      }
      const [anonymous] = await db.select().from(auditLog).where(eq(auditLog.action, path)).orderBy(desc(auditLog.id)).limit(1);
      expect(anonymous).toBeDefined();
    },
  );
});
