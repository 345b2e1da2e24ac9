import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { and, count, eq, gte, inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { anonymousDenials, auditLog, users } from '@/db/schema';
import { createUser } from '@/server/auth/create-user';
import { ALL_ADDRESSES } from '@/server/ops/audit';
import type { Context } from '@/server/trpc/init';
import { appRouter, createCaller } from '@/server/trpc/root';
import { createTestDatabase } from '@/test/database';

process.env.AUDIT_ANONYMOUS_PER_MINUTE = '5';

const { db } = await createTestDatabase();
const admin = await createUser(db, { email: 'boss@audit-sec.test', name: 'Boss', role: 'admin', password: 'long-enough-1' });
const viewer = await createUser(db, { email: 'watcher@audit-sec.test', name: 'Watcher', role: 'viewer', password: 'long-enough-2' });
const asAdmin = createCaller({ db, actor: { id: admin.id, email: admin.email, role: 'admin' } });
const asViewer = createCaller({ db, actor: { id: viewer.id, email: viewer.email, role: 'viewer' } });

/** The audit log as text: a secret anywhere in any column shows up here. */
async function auditLogText(): Promise<string> {
  const [row] = await db.execute<{ everything: string }>(sql`select coalesce(string_agg(audit_log::text, ' '), '') as everything from audit_log`);
  return row!.everything;
}

async function userCount() {
  const [row] = await db.select({ n: count() }).from(users);
  return row!.n;
}

/** A tRPC call over the real fetch adapter, as /api/trpc serves it, from an anonymous caller. */
function anonymousPost(path: string, body: string, clientAddress: string) {
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req: new Request(`http://localhost/api/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
    router: appRouter,
    createContext: (): Context => ({ db, actor: null, clientAddress }),
  });
}

describe('nothing secret in the audit log', () => {
  it('removes the password an admin typed into users.create before the input is written', async () => {
    await asAdmin.users.create({ email: 'new@audit-sec.test', name: 'New', role: 'viewer', password: 'hunter2-plaintext', reason: 'new hire' });
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.target, 'new@audit-sec.test'));
    expect(entry).toMatchObject({ action: 'users.create', outcome: 'ok', reason: 'new hire' });
    expect(entry!.input).toMatchObject({ email: 'new@audit-sec.test', password: '[redacted]' });
    expect(await auditLogText()).not.toContain('hunter2-plaintext');
  });

  it('removes our tokens wherever they appear, by value, in reasons and inputs', async () => {
    const token = 'cvf_AbCdEfGhIjKlMnOpQrStUvWx';
    await asAdmin.users.create({ email: 'tok@audit-sec.test', name: `name ${token}`, role: 'viewer', password: 'long-enough-9', reason: `pasted ${token} by mistake` });
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.target, 'tok@audit-sec.test'));
    expect(entry!.reason).toBe('pasted [redacted] by mistake');
    expect(entry!.input).toMatchObject({ name: 'name [redacted]' });
    expect(await auditLogText()).not.toContain(token);
  });

  it('shows raw inputs to admins only: a viewer gets action, target, reason and outcome', async () => {
    const seenByViewer = await asViewer.audit.list({ action: 'users.create', limit: 50 });
    expect(seenByViewer.entries.length).toBeGreaterThan(0);
    for (const entry of seenByViewer.entries) {
      expect(entry).toMatchObject({ action: 'users.create', outcome: 'ok' });
      expect(entry).not.toHaveProperty('input');
      expect(entry).not.toHaveProperty('result');
    }
    const seenByAdmin = await asAdmin.audit.list({ action: 'users.create', limit: 50 });
    expect(seenByAdmin.entries.some((entry) => (entry.input as { password?: string } | null)?.password === '[redacted]')).toBe(true);
  });

  it('records an anonymous mutation without its body, and refuses it with 401', async () => {
    const before = await userCount();
    const response = await anonymousPost(
      'users.create',
      JSON.stringify({ json: { email: 'sneak@audit-sec.test', name: 'Sneak', role: 'admin', password: 'anonymous-secret-1', reason: 'let me in' } }),
      '198.51.100.1',
    );
    expect(response.status).toBe(401);
    expect(JSON.stringify(await response.json())).toContain('Sign in to continue.');
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.message, 'Anonymous call from 198.51.100.1 refused: sign in to continue.'));
    expect(entry).toMatchObject({ action: 'users.create', outcome: 'denied', actorId: null, input: null, reason: null, target: null });
    expect(await auditLogText()).not.toContain('anonymous-secret-1');
    expect(await auditLogText()).not.toContain('let me in');
    expect(await userCount()).toBe(before);
  });

  it('does not even parse an anonymous body: a malformed one is refused 401 the same way', async () => {
    const response = await anonymousPost('users.changeRole', '{"json": {not json', '198.51.100.2');
    expect(response.status).toBe(401);
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.message, 'Anonymous call from 198.51.100.2 refused: sign in to continue.'));
    expect(entry).toMatchObject({ action: 'users.changeRole', outcome: 'denied', input: null });
  });

  it('writes at most AUDIT_ANONYMOUS_PER_MINUTE rows per address per minute and counts the rest', async () => {
    const flooder = '203.0.113.66';
    const before = await userCount();
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, attempt) => anonymousPost('users.create', JSON.stringify({ json: { email: `f${attempt}@x.test`, reason: 'flood' } }), flooder).then((r) => r.status)),
    );
    expect(statuses.every((status) => status === 401)).toBe(true);
    const rows = await db.select().from(auditLog).where(eq(auditLog.message, `Anonymous call from ${flooder} refused: sign in to continue.`));
    expect(rows).toHaveLength(5);
    const [counted] = await db.select({ attempts: sql<number>`sum(${anonymousDenials.attempts})::int` }).from(anonymousDenials).where(eq(anonymousDenials.clientAddress, flooder));
    expect(counted!.attempts).toBe(30);
    expect(await userCount()).toBe(before);

    // Another address is still recorded.
    await anonymousPost('users.create', '{}', '203.0.113.67');
    expect(await db.select().from(auditLog).where(eq(auditLog.message, 'Anonymous call from 203.0.113.67 refused: sign in to continue.'))).toHaveLength(1);
  });

  it("drops past days' counts at a minute's first anonymous denial, and keeps today's", async () => {
    await db.insert(anonymousDenials).values({ clientAddress: '192.0.2.250', minute: new Date(Date.now() - 2 * 86_400_000), attempts: 7 });
    // As if this minute had seen no anonymous call yet.
    await db.delete(anonymousDenials).where(and(eq(anonymousDenials.clientAddress, ALL_ADDRESSES), gte(anonymousDenials.minute, sql`date_trunc('minute', now())`)));
    await anonymousPost('users.create', '{}', '192.0.2.251');
    expect(await db.select().from(anonymousDenials).where(eq(anonymousDenials.clientAddress, '192.0.2.250'))).toHaveLength(0);
    expect(await db.select().from(anonymousDenials).where(eq(anonymousDenials.clientAddress, '203.0.113.66'))).not.toHaveLength(0);
  });

  it('writes nothing more once AUDIT_ANONYMOUS_TOTAL_PER_MINUTE is reached, however many addresses are claimed, and counts them', async () => {
    const totalOf = async () => {
      const [row] = await db.select({ attempts: sql<number>`coalesce(sum(${anonymousDenials.attempts}), 0)::int` }).from(anonymousDenials).where(eq(anonymousDenials.clientAddress, ALL_ADDRESSES));
      return row!.attempts;
    };
    const rowsBefore = await db.select({ n: count() }).from(auditLog);
    const totalBefore = await totalOf();
    process.env.AUDIT_ANONYMOUS_TOTAL_PER_MINUTE = '0';
    try {
      const addresses = Array.from({ length: 20 }, (_, index) => `192.0.2.${100 + index}`);
      const statuses = await Promise.all(addresses.map((address) => anonymousPost('users.create', '{}', address).then((r) => r.status)));
      expect(statuses.every((status) => status === 401)).toBe(true);
      expect(await db.select({ n: count() }).from(auditLog)).toEqual(rowsBefore);
      expect(await totalOf()).toBe(totalBefore + 20);
      expect(await db.select().from(anonymousDenials).where(inArray(anonymousDenials.clientAddress, addresses))).toHaveLength(0);
    } finally {
      delete process.env.AUDIT_ANONYMOUS_TOTAL_PER_MINUTE;
    }
  });
});
