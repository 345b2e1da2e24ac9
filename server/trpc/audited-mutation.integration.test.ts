import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, users } from '@/db/schema';
import { createUser } from '@/server/auth/create-user';
import { createTestDatabase } from '@/test/database';
import { createCaller } from './root';

const { db } = await createTestDatabase();
const admin = await createUser(db, { email: 'boss@audit.test', name: 'Boss', role: 'admin', password: 'long-enough-1' });
const caller = createCaller({ db, actor: { id: admin.id, email: admin.email, role: 'admin' } });

describe('audited mutations', () => {
  it('records who changed a role, why, and the outcome', async () => {
    const agent = await createUser(db, { email: 'agent@audit.test', name: 'Agent', role: 'viewer', password: 'long-enough-2' });
    await caller.users.changeRole({ userId: agent.id, role: 'support', reason: 'joined the support rota' });
    const [row] = await db.select().from(users).where(eq(users.id, agent.id));
    expect(row!.role).toBe('support');
    const entries = await db.select().from(auditLog).where(eq(auditLog.target, agent.id));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actorEmail: 'boss@audit.test', actorRole: 'admin', action: 'users.changeRole', reason: 'joined the support rota', outcome: 'ok' });
  });

  it('refuses a mutation without a reason and changes nothing', async () => {
    const agent = await createUser(db, { email: 'noreason@audit.test', name: 'N', role: 'viewer', password: 'long-enough-3' });
    await expect(caller.users.changeRole({ userId: agent.id, role: 'admin', reason: ' ' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const [row] = await db.select().from(users).where(eq(users.id, agent.id));
    expect(row!.role).toBe('viewer');
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.target, agent.id));
    expect(entry).toMatchObject({ outcome: 'error' });
  });

  it('acts once when the same request is submitted twice at the same time', async () => {
    const requestId = 'double-click-0001';
    const input = { email: 'twice@audit.test', name: 'Twice', role: 'viewer' as const, password: 'long-enough-4', reason: 'new hire', requestId };
    const results = await Promise.allSettled([caller.users.create(input), caller.users.create(input)]);
    const created = await db.select().from(users).where(eq(users.email, 'twice@audit.test'));
    expect(created).toHaveLength(1);
    // The loser either gets the first result or is told the request is in flight; never a second user.
    for (const result of results) {
      if (result.status === 'rejected') expect((result.reason as TRPCError).code).toBe('CONFLICT');
    }
    const again = await caller.users.create(input);
    expect(again.email).toBe('twice@audit.test');
    const entries = await db.select().from(auditLog).where(eq(auditLog.requestId, requestId));
    expect(entries.filter((entry) => entry.outcome === 'ok')).toHaveLength(1);
  });

  it('records a failed action with the message the operator saw', async () => {
    await expect(caller.users.changeRole({ userId: admin.id, role: 'viewer', reason: 'step down' })).rejects.toMatchObject({ code: 'CONFLICT' });
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.target, admin.id));
    expect(entry).toMatchObject({ outcome: 'error' });
    expect(entry!.message).toContain('last admin');
  });

  it('lists audit entries newest first with a cursor', async () => {
    const first = await caller.audit.list({ limit: 2 });
    expect(first.entries).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await caller.audit.list({ limit: 2, cursor: first.nextCursor! });
    const ids = [...first.entries, ...second.entries].map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const byActor = await caller.audit.list({ actor: 'boss@', action: 'changeRole', limit: 50 });
    expect(byActor.entries.every((entry) => entry.action === 'users.changeRole')).toBe(true);
  });
});
