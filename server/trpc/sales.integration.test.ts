import { TRPCError } from '@trpc/server';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { approvals, auditLog, skus } from '@/db/schema';
import { createUser } from '@/server/auth/create-user';
import { createSku } from '@/server/orders/test-fixtures';
import { createSaleAdmission } from '@/server/sales/decide-attempts';
import { startAttemptFigures } from '@/server/sales/attempt-figures';
import { createTestDatabase } from '@/test/database';
import { createCaller } from './root';

const { db } = await createTestDatabase();
type Role = 'viewer' | 'support' | 'oncall' | 'admin';
const user = (email: string, role: Role) => createUser(db, { email, name: email, role, password: `long-enough-${email}` });
const admin = await user('admin@sales.test', 'admin');
const secondAdmin = await user('admin2@sales.test', 'admin');
const oncall = await user('oncall@sales.test', 'oncall');
const support = await user('support@sales.test', 'support');
const viewer = await user('viewer@sales.test', 'viewer');
const as = (u: { id: string; email: string; role: Role }) => createCaller({ db, actor: { id: u.id, email: u.email, role: u.role } });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'OK',
    (error: unknown) => (error instanceof TRPCError ? error.code : String(error)),
  );
}

const saleInput = (sku: string, units = 10) => ({
  name: 'Midnight sale',
  sku,
  units,
  priceCents: 500,
  perBuyerLimit: 1,
  startsAt: new Date(Date.now() - 1_000),
  endsAt: new Date(Date.now() + 3_600_000),
  reason: 'Singles Day campaign',
});

describe('the sales console actions', () => {
  it('arms a sale for an admin, with the reason in the audit log, and answers a repeated request once', async () => {
    const sku = await createSku(db, { stock: 100 });
    const armed = await as(admin).sales.arm({ ...saleInput(sku), requestId: 'arm-request-0001' });
    expect(armed).toMatchObject({ state: 'scheduled', unitsArmed: 10 });
    expect(await as(admin).sales.arm({ ...saleInput(sku), requestId: 'arm-request-0001' })).toEqual(armed);
    const [row] = await db.select({ available: skus.available }).from(skus).where(eq(skus.sku, sku));
    expect(row!.available).toBe(90);
    const audited = await db.select().from(auditLog).where(eq(auditLog.action, 'sales.arm'));
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ actorEmail: 'admin@sales.test', outcome: 'ok', target: sku, reason: 'Singles Day campaign' });
    const [listed] = await as(viewer).sales.list();
    expect(listed).toMatchObject({ id: armed.saleId, state: 'live', units: { armed: 10, left: 10, reserved: 0, sold: 0 } });
  });

  it('refuses arm, pause, resume, end and limit changes to lower roles, and audits the refusal', async () => {
    const sku = await createSku(db, { stock: 100 });
    const { saleId } = await as(admin).sales.arm(saleInput(sku));
    for (const caller of [viewer, support, oncall]) expect(await codeOf(as(caller).sales.arm(saleInput(sku)))).toBe('FORBIDDEN');
    for (const caller of [viewer, support]) {
      expect(await codeOf(as(caller).sales.pause({ saleId, reason: 'bots' }))).toBe('FORBIDDEN');
      expect(await codeOf(as(caller).sales.end({ saleId, reason: 'bots' }))).toBe('FORBIDDEN');
      expect(await codeOf(as(caller).sales.resume({ saleId, reason: 'bots' }))).toBe('FORBIDDEN');
    }
    expect(await codeOf(as(oncall).sales.changeBuyerLimit({ saleId, perBuyerLimit: 5, reason: 'bots' }))).toBe('FORBIDDEN');
    const denied = await db.select().from(auditLog).where(sql`${auditLog.action} like 'sales.%' and ${auditLog.outcome} = 'denied'`);
    expect(denied.length).toBeGreaterThanOrEqual(10);
    const [row] = await db.select({ available: skus.available }).from(skus).where(eq(skus.sku, sku));
    expect(row!.available).toBe(90);
  });

  it('lets oncall pause, resume and end, and asks for a reason', async () => {
    const sku = await createSku(db, { stock: 100 });
    const { saleId } = await as(admin).sales.arm(saleInput(sku));
    expect(await codeOf(as(oncall).sales.pause({ saleId, reason: '' }))).toBe('BAD_REQUEST');
    expect(await as(oncall).sales.pause({ saleId, reason: 'bots at the door' })).toEqual({ saleId, state: 'paused' });
    expect(await codeOf(as(oncall).sales.pause({ saleId, reason: 'again' }))).toBe('CONFLICT');
    expect(await as(oncall).sales.resume({ saleId, reason: 'bots blocked' })).toEqual({ saleId, state: 'live' });
    expect(await as(admin).sales.changeBuyerLimit({ saleId, perBuyerLimit: 3, reason: 'slow start' })).toEqual({ saleId, perBuyerLimit: 3 });
    expect(await as(oncall).sales.end({ saleId, reason: 'campaign over' })).toEqual({ saleId, state: 'ended', unitsReturned: 10 });
    expect(await codeOf(as(oncall).sales.resume({ saleId, reason: 'oops' }))).toBe('CONFLICT');
    expect(await codeOf(as(oncall).sales.pause({ saleId: 'sale_unknown', reason: 'typo' }))).toBe('NOT_FOUND');
  });

  it('refuses a sale larger than the SKU has with 409, and an end before the start with 400', async () => {
    const sku = await createSku(db, { stock: 5 });
    const tooMany = as(admin).sales.arm(saleInput(sku, 6));
    await expect(tooMany).rejects.toThrow('has 5 units available; a sale of 6 cannot be armed');
    expect(await codeOf(as(admin).sales.arm({ ...saleInput(sku, 1), endsAt: new Date(Date.now() - 60_000), startsAt: new Date() }))).toBe('BAD_REQUEST');
  });

  it('holds a sale above SALE_APPROVAL_UNITS for a second admin, then arms it as the requester', async () => {
    const sku = await createSku(db, { stock: 5_000 });
    const big = as(admin).sales.arm(saleInput(sku, 2_000));
    await expect(big).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    const [waiting] = await db.select().from(approvals).where(eq(approvals.action, 'sales.arm'));
    expect(waiting).toMatchObject({ status: 'pending', requiredRole: 'admin' });
    expect(waiting!.summary).toContain('2000 units');
    const [before] = await db.select({ available: skus.available }).from(skus).where(eq(skus.sku, sku));
    expect(before!.available).toBe(5_000);
    expect(await codeOf(as(admin).approvals.approve({ approvalId: waiting!.id, reason: 'mine' }))).toBe('FORBIDDEN');
    expect((await as(secondAdmin).approvals.approve({ approvalId: waiting!.id, reason: 'campaign signed off' })).status).toBe('executed');
    const [after] = await db.select({ available: skus.available }).from(skus).where(eq(skus.sku, sku));
    expect(after!.available).toBe(3_000);
  });

  it('shows a sale’s live figures: units, attempts per second by outcome and p99 decision time', async () => {
    const sku = await createSku(db, { stock: 100 });
    const { saleId } = await as(admin).sales.arm({ ...saleInput(sku, 2), perBuyerLimit: 1 });
    const admission = createSaleAdmission(db, { poolSize: 1 });
    const figures = startAttemptFigures({ db, everyMs: 60_000 });
    for (const buyer of ['a', 'b', 'c', 'a']) {
      const started = performance.now();
      const decision = await admission.decide({ saleId, attemptId: `attempt-${buyer}-${Math.random()}`, buyerId: buyer });
      figures.count(saleId, decision.outcome, performance.now() - started);
    }
    figures.count(saleId, 'throttled');
    await figures.stop();
    const shown = await as(viewer).sales.figures({ saleId });
    expect(shown.sale.units).toMatchObject({ armed: 2, left: 0, reserved: 2, sold: 0 });
    const totals = shown.attemptsPerSecond.reduce(
      (sum, second) => ({ admitted: sum.admitted + second.admitted, soldOut: sum.soldOut + second.soldOut, limitReached: sum.limitReached + second.limitReached, throttled: sum.throttled + second.throttled }),
      { admitted: 0, soldOut: 0, limitReached: 0, throttled: 0 },
    );
    expect(totals).toEqual({ admitted: 2, soldOut: 1, limitReached: 1, throttled: 1 });
    expect(shown.p99DecisionMs).toBeGreaterThan(0);
    expect(shown.orderLagMs).toBeGreaterThanOrEqual(0);
    expect(shown.ordersAwaitingPayment).toBe(0);
  });
});
