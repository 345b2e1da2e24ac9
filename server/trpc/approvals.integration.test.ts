import { TRPCError } from '@trpc/server';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvals, auditLog } from '@/db/schema';
import { createUser } from '@/server/auth/create-user';
import { appendEvents, defineConsumer, type PipelineHandle, startPipeline } from '@/server/pipeline';
import { eventually } from '@/server/orders/test-fixtures';
import { createTestDatabase } from '@/test/database';
import { createCaller } from './root';

const { db } = await createTestDatabase();
const group = 'approval-test';
let pipeline: PipelineHandle;

const requester = await createUser(db, { email: 'first@approvals.test', name: 'First', role: 'oncall', password: 'long-enough-1' });
const approver = await createUser(db, { email: 'second@approvals.test', name: 'Second', role: 'oncall', password: 'long-enough-2' });
const junior = await createUser(db, { email: 'junior@approvals.test', name: 'Junior', role: 'support', password: 'long-enough-3' });
const as = (user: { id: string; email: string; role: 'viewer' | 'support' | 'oncall' | 'admin' }) => createCaller({ db, actor: { id: user.id, email: user.email, role: user.role } });

async function committedTotal(): Promise<number> {
  const [row] = await db.execute<{ total: number }>(sql`select coalesce(sum(committed_offset), 0)::int as total from consumer_offsets where "group" = ${group}`);
  return row!.total;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'OK',
    (error: unknown) => (error instanceof TRPCError ? error.code : String(error)),
  );
}

beforeAll(async () => {
  pipeline = await startPipeline({
    db,
    consumers: [defineConsumer({ group, types: '*', handler: async () => {} })],
    partitions: 2,
    pollIntervalMs: 50,
    sampleIntervalMs: 60_000,
  });
  await appendEvents(db, [1, 2, 3, 4].map((n) => ({ topic: 'approvals', key: `key-${n}`, type: 'Something', payload: { n } })));
  await eventually('the group to consume every event', async () => ((await committedTotal()) === 4 ? true : undefined));
  await pipeline.stop();
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('second-person approval of dangerous actions', () => {
  const reset = { group, time: new Date(0), reason: 'reprocess after the fix' };

  it('holds an offset reset until a second person approves it, then runs exactly that reset as the requester', async () => {
    const refused = as(requester).queues.resetOffsets(reset);
    await expect(refused).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await expect(refused).rejects.toThrow(/Request #\d+ is waiting on the Approvals page/);
    expect(await committedTotal()).toBe(4);
    const [waiting] = await db.select().from(approvals).where(eq(approvals.requestedById, requester.id));
    expect(waiting).toMatchObject({ status: 'pending', action: 'queues.resetOffsets', requiredRole: 'oncall' });
    const [audited] = await db.select().from(auditLog).where(eq(auditLog.actorId, requester.id));
    expect(audited).toMatchObject({ outcome: 'awaiting_approval', action: 'queues.resetOffsets' });

    // Asking again finds the same request instead of opening another.
    await expect(as(requester).queues.resetOffsets({ ...reset, reason: 'still needed' })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(await db.select().from(approvals).where(eq(approvals.requestedById, requester.id))).toHaveLength(1);

    expect(await codeOf(as(requester).approvals.approve({ approvalId: waiting!.id, reason: 'approving my own' }))).toBe('FORBIDDEN');
    expect(await codeOf(as(junior).approvals.approve({ approvalId: waiting!.id, reason: 'not my area' }))).toBe('FORBIDDEN');
    expect(await committedTotal()).toBe(4);

    const approved = await as(approver).approvals.approve({ approvalId: waiting!.id, reason: 'checked the fix is deployed' });
    expect(approved.status).toBe('executed');
    expect(await committedTotal()).toBe(0);

    const [done] = await db.select().from(approvals).where(eq(approvals.id, waiting!.id));
    expect(done).toMatchObject({ status: 'executed', decidedByEmail: 'second@approvals.test' });
    const ran = await db.select().from(auditLog).where(eq(auditLog.requestId, `approval-${waiting!.id}`));
    expect(ran).toHaveLength(1);
    expect(ran[0]).toMatchObject({ actorEmail: 'first@approvals.test', outcome: 'ok', action: 'queues.resetOffsets' });
    expect(ran[0]!.reason).toContain('approved by second@approvals.test');

    expect(await codeOf(as(approver).approvals.approve({ approvalId: waiting!.id, reason: 'again' }))).toBe('CONFLICT');
  });

  it('binds the approval to the exact input: a different reset is a different request', async () => {
    await expect(as(requester).queues.resetOffsets({ ...reset, time: new Date('2020-01-01') })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await expect(as(requester).queues.resetOffsets({ ...reset, time: new Date('2021-01-01') })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    const pending = await db.select().from(approvals).where(eq(approvals.status, 'pending'));
    expect(new Set(pending.map((approval) => approval.inputHash)).size).toBe(2);
  });

  it('rejecting a request runs nothing', async () => {
    const [pending] = await db.select().from(approvals).where(eq(approvals.status, 'pending')).limit(1);
    const before = await committedTotal();
    await as(approver).approvals.reject({ approvalId: pending!.id, reason: 'not during the sale' });
    const [rejected] = await db.select().from(approvals).where(eq(approvals.id, pending!.id));
    expect(rejected).toMatchObject({ status: 'rejected', decisionNote: 'not during the sale' });
    expect(await committedTotal()).toBe(before);
  });

  it('refuses an offset reset to a time that is not a date with BAD_REQUEST, and files no approval for it', async () => {
    const before = await db.select().from(approvals);
    const committedBefore = await committedTotal();
    const reset = as(requester).queues.resetOffsets({ group, time: 'ord_not-a-time' as unknown as Date, reason: 'a pasted order id' });
    expect(await codeOf(reset)).toBe('BAD_REQUEST');
    expect(await db.select().from(approvals)).toHaveLength(before.length);
    expect(await committedTotal()).toBe(committedBefore);
  });
});
