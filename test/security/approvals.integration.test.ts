import { TRPCError } from '@trpc/server';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvals, users } from '@/db/schema';
import { createUser } from '@/server/auth/create-user';
import { appendEvents, defineConsumer, type PipelineHandle, startPipeline } from '@/server/pipeline';
import { createCaller } from '@/server/trpc/root';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';

/**
 * Approvals that stay honest: a request expires, runs only while its requester still holds the
 * role, bulk discards and give-ups above the threshold wait for a second person, and what is
 * counted against the threshold is exactly what then runs.
 */

const { db } = await createTestDatabase({ max: 12 });
type Person = { id: string; email: string; role: 'viewer' | 'support' | 'oncall' | 'admin' };
const person = async (email: string, role: Person['role']): Promise<Person> => {
  const user = await createUser(db, { email, name: email.split('@')[0]!, role, password: 'long-enough-pass' });
  return { id: user.id, email: user.email, role: user.role };
};
const as = (user: Person) => createCaller({ db, actor: user });

const requester = await person('requester@approvals.test', 'oncall');
const approver = await person('approver@approvals.test', 'oncall');
const viewer = await person('viewer@approvals.test', 'viewer');

const DEAD = 'always-dead';
const RETRYING = 'keeps-retrying';
let pipeline: PipelineHandle;

async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  return promise.then(
    () => ({ code: 'OK', message: '' }),
    (error: unknown) => (error instanceof TRPCError ? { code: error.code, message: error.message } : { code: 'THROWN', message: String(error) }),
  );
}

async function countWhere(query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await db.execute<{ n: number }>(query);
  return row!.n;
}
const deadLettersOf = (group: string, status = 'dead') => countWhere(sql`select count(*)::int as n from dead_letters where "group" = ${group} and status = ${status}`);
const retriesOf = (group: string) => countWhere(sql`select count(*)::int as n from retries where "group" = ${group}`);
const committedOf = (group: string) => countWhere(sql`select coalesce(sum(committed_offset), 0)::int as n from consumer_offsets where "group" = ${group}`);

async function append(topic: string, count: number, from = 0) {
  await appendEvents(
    db,
    Array.from({ length: count }, (_, index) => ({ topic, key: `${topic}-${from + index}`, type: 'Anything', payload: { n: from + index } })),
  );
}

beforeAll(async () => {
  pipeline = await startPipeline({
    db,
    ...fastPipelineOptions,
    consumers: [
      defineConsumer({ group: DEAD, types: '*', topics: [DEAD], maxAttempts: 1, handler: async () => Promise.reject(new Error('always fails')) }),
      // The next attempt is an hour away, so these stay in the retry table for the test.
      defineConsumer({ group: RETRYING, types: '*', topics: [RETRYING], maxAttempts: 50, backoff: { baseMs: 3_600_000, maxMs: 3_600_000 }, handler: async () => Promise.reject(new Error('warehouse down')) }),
    ],
  });
  await append(DEAD, 150);
  await append(RETRYING, 130);
  await waitFor(async () => (await deadLettersOf(DEAD)) === 150 && (await retriesOf(RETRYING)) === 130, { what: '150 dead letters and 130 retries', timeoutMs: 30_000 });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('approvals that stay honest', () => {
  it('a bulk discard over the threshold waits for a second person, then discards exactly the rows it counted', async () => {
    const asked = await errorOf(as(requester).deadLetters.discard({ filter: { group: DEAD }, reason: 'poison messages from the bad deploy' }));
    expect(asked.code).toBe('PRECONDITION_FAILED');
    expect(asked.message).toMatch(/discard 150 dead letters\. Request #\d+ is waiting on the Approvals page/);
    expect(await deadLettersOf(DEAD)).toBe(150);

    const [request] = await db.select().from(approvals).where(and(eq(approvals.action, 'deadLetters.discard'), eq(approvals.status, 'pending')));
    expect((request!.input as { ids: number[] }).ids).toHaveLength(150);

    // More letters die while the request waits; the approval covers only the 150 counted.
    await append(DEAD, 20, 150);
    await waitFor(async () => (await deadLettersOf(DEAD)) === 170, { what: '20 more dead letters' });

    const approved = await as(approver).approvals.approve({ approvalId: request!.id, reason: 'checked the sample' });
    expect(approved.result).toEqual({ discarded: 150 });
    expect(await deadLettersOf(DEAD, 'discarded')).toBe(150);
    expect(await deadLettersOf(DEAD)).toBe(20);
  });

  it('counts rows, not what was asked: a filter matching fewer than the threshold runs at once, absent ids count as nothing', async () => {
    const ghosts = Array.from({ length: 150 }, (_, index) => 1_000_000 + index);
    expect(await as(requester).deadLetters.discard({ ids: ghosts, reason: 'ids from an old export' })).toEqual({ discarded: 0 });
    expect(await as(requester).deadLetters.discard({ filter: { group: DEAD }, reason: 'the 20 stragglers' })).toEqual({ discarded: 20 });
    expect(await db.select().from(approvals).where(eq(approvals.status, 'pending'))).toHaveLength(0);
  });

  it('a bulk give-up of failed pushes over the threshold waits for a second person', async () => {
    const asked = await errorOf(as(requester).failedPushes.giveUp({ filter: { group: RETRYING }, reason: 'warehouse retired' }));
    expect(asked.code).toBe('PRECONDITION_FAILED');
    expect(asked.message).toContain('give up 130 failed pushes');
    expect(await retriesOf(RETRYING)).toBe(130);
    expect(await deadLettersOf(RETRYING)).toBe(0);

    const [request] = await db.select().from(approvals).where(and(eq(approvals.action, 'failedPushes.giveUp'), eq(approvals.status, 'pending')));
    const approved = await as(approver).approvals.approve({ approvalId: request!.id, reason: 'confirmed with the warehouse team' });
    expect(approved.result).toEqual({ deadLettered: 130, remaining: 0 });
    expect(await retriesOf(RETRYING)).toBe(0);
    expect(await deadLettersOf(RETRYING)).toBe(130);
  });

  it('a large replay waits too, and a small one runs at once', async () => {
    const asked = await errorOf(as(requester).deadLetters.replay({ filter: { group: RETRYING }, reason: 'warehouse is back' }));
    expect(asked.code).toBe('PRECONDITION_FAILED');
    expect(asked.message).toContain('replay 130 dead letters');
    expect(await deadLettersOf(RETRYING)).toBe(130);
    const [request] = await db.select().from(approvals).where(and(eq(approvals.action, 'deadLetters.replay'), eq(approvals.status, 'pending')));
    await as(approver).approvals.reject({ approvalId: request!.id, reason: 'the warehouse is not back yet' });
    const [one] = await db.execute<{ id: number }>(sql`select id::int as id from dead_letters where "group" = ${RETRYING} and status = 'dead' limit 1`);
    expect(await as(requester).deadLetters.replay({ ids: [one!.id], reason: 'try one first' })).toMatchObject({ replayed: 1 });
  });

  it('a request expires after its deadline: it cannot be approved and does not run', async () => {
    const before = await committedOf(DEAD);
    const asked = await errorOf(as(requester).queues.resetOffsets({ group: DEAD, time: new Date(0), reason: 'reprocess everything' }));
    expect(asked.code).toBe('PRECONDITION_FAILED');
    const [request] = await db.select().from(approvals).where(and(eq(approvals.action, 'queues.resetOffsets'), eq(approvals.status, 'pending')));
    const hoursLeft = (request!.expiresAt.getTime() - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(23.9);
    expect(hoursLeft).toBeLessThanOrEqual(24);

    // A day passes.
    await db.update(approvals).set({ expiresAt: new Date(Date.now() - 1_000) }).where(eq(approvals.id, request!.id));
    expect(await as(viewer).approvals.pendingCount()).toBe(0);
    const late = await errorOf(as(approver).approvals.approve({ approvalId: request!.id, reason: 'back from leave' }));
    expect(late.code).toBe('CONFLICT');
    expect(late.message).toMatch(/expired at .* the requester must send it again/);
    expect((await db.select().from(approvals).where(eq(approvals.id, request!.id)))[0]!.status).toBe('expired');
    expect(await committedOf(DEAD)).toBe(before);

    // Asking again opens a fresh request instead of finding the expired one.
    await errorOf(as(requester).queues.resetOffsets({ group: DEAD, time: new Date(0), reason: 'reprocess everything' }));
    const open = await db.select().from(approvals).where(and(eq(approvals.action, 'queues.resetOffsets'), eq(approvals.status, 'pending')));
    expect(open).toHaveLength(1);
    expect(open[0]!.id).not.toBe(request!.id);
    await as(approver).approvals.reject({ approvalId: open[0]!.id, reason: 'not needed after all' });
  });

  it('APPROVAL_EXPIRY_HOURS sets the deadline of new requests', async () => {
    process.env.APPROVAL_EXPIRY_HOURS = '2';
    try {
      await errorOf(as(requester).queues.resetOffsets({ group: DEAD, time: new Date(1_000), reason: 'two-hour window' }));
    } finally {
      delete process.env.APPROVAL_EXPIRY_HOURS;
    }
    const [request] = await db.select().from(approvals).where(and(eq(approvals.action, 'queues.resetOffsets'), eq(approvals.status, 'pending')));
    const hoursLeft = (request!.expiresAt.getTime() - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(1.9);
    expect(hoursLeft).toBeLessThanOrEqual(2);
    await as(approver).approvals.reject({ approvalId: request!.id, reason: 'only checking the window' });
  });

  it('a request whose requester lost the role is closed, not run', async () => {
    const before = await committedOf(DEAD);
    const demoted = await person('demoted@approvals.test', 'oncall');
    await errorOf(as(demoted).queues.resetOffsets({ group: DEAD, time: new Date(0), reason: 'reprocess after the fix' }));
    const [request] = await db.select().from(approvals).where(and(eq(approvals.requestedById, demoted.id), eq(approvals.status, 'pending')));
    expect(request).toBeDefined();

    await db.update(users).set({ role: 'viewer' }).where(eq(users.id, demoted.id));
    const refused = await errorOf(as(approver).approvals.approve({ approvalId: request!.id, reason: 'looks right' }));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toContain('demoted@approvals.test is now viewer');
    const [closed] = await db.select().from(approvals).where(eq(approvals.id, request!.id));
    expect(closed).toMatchObject({ status: 'failed' });
    expect(await committedOf(DEAD)).toBe(before);
  });

  it('previewing an offset reset takes no row locks: it answers while a worker holds the group offsets', async () => {
    const preview = await db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from consumer_offsets where "group" = ${DEAD} for update`);
      return Promise.race([
        as(viewer).queues.previewReset({ group: DEAD, time: new Date(0) }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('previewReset waited for the row locks')), 5_000)),
      ]);
    });
    expect(preview.dryRun).toBe(true);
    expect(preview.redelivered).toBeGreaterThan(0);
  });
});

describe('the last admin', () => {
  it('two admins demoting each other at once leave one admin, and the other is told why', async () => {
    for (let round = 0; round < 8; round++) {
      const first = await person(`first-${round}@admins.test`, 'admin');
      const second = await person(`second-${round}@admins.test`, 'admin');
      // Only these two are admins this round.
      await db.execute(sql`update users set role = 'viewer' where role = 'admin' and id not in (${first.id}, ${second.id})`);
      const outcomes = await Promise.all([
        errorOf(as(first).users.changeRole({ userId: second.id, role: 'viewer', reason: 'tidying up roles' })),
        errorOf(as(second).users.changeRole({ userId: first.id, role: 'viewer', reason: 'tidying up roles' })),
      ]);
      expect(outcomes.map((outcome) => outcome.code).sort()).toEqual(['CONFLICT', 'OK']);
      expect(outcomes.find((outcome) => outcome.code === 'CONFLICT')!.message).toContain('is the last admin');
      expect(await countWhere(sql`select count(*)::int as n from users where role = 'admin'`)).toBe(1);
    }
  });
});
