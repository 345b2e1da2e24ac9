import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, longWork, orders } from '@/db/schema';
import { cancelOrder } from '@/server/orders/close-order';
import { createOrder } from '@/server/orders/create-order';
import { createSku } from '@/server/orders/test-fixtures';
import { createCaller } from '@/server/trpc/root';
import { createTestDatabase } from '@/test/database';
import { waitFor } from '@/test/wait-for';
import { trackLongWork } from './long-work/track-long-work';

const { db } = await createTestDatabase();
const support = createCaller({ db, actor: { id: 'support-1', email: 'support@bulk.test', role: 'support' } });
const viewer = createCaller({ db, actor: { id: 'viewer-1', email: 'viewer@bulk.test', role: 'viewer' } });

async function unpaidOrders(count: number) {
  const sku = await createSku(db, { stock: count * 2 });
  const placed = [];
  for (let n = 0; n < count; n++) placed.push(await createOrder(db, { userId: `bulk-shopper-${n}`, items: [{ sku, quantity: 1 }] }));
  return placed.map((order) => order.orderId);
}

/** Holds an order's row lock, so the bulk action waits on that order until the test lets go. */
async function holdOrder(orderId: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = db.transaction(async (tx) => {
    await tx.execute(sql`select 1 from orders where id = ${orderId} for update`);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await holder;
  };
}

describe('a bulk action on pasted orders', () => {
  it('shows its progress on Orders and the Overview while it runs, and ends with every order answered and audited', async () => {
    const unpaid = await unpaidOrders(12);
    const [alreadyClosed] = await unpaidOrders(1);
    await cancelOrder(db, { orderId: alreadyClosed!, reason: 'customer called earlier' });
    const pasted = [...unpaid.slice(0, 6), alreadyClosed!, 'ord_not-a-real-order', ...unpaid.slice(6)];

    const letGo = await holdOrder(unpaid[6]!);
    const running = support.orders.bulkCompensate({ action: 'closeOrder', orderIds: pasted, reason: 'ticket 4711: customer cancelled', requestId: 'bulk-close-4711' });
    const partWay = await waitFor(async () => {
      const [work] = (await viewer.longWork.list({ startedFrom: '/orders' })).work;
      return work && work.done === 8 ? work : null;
    }, { what: 'the first eight orders to be counted', timeoutMs: 10_000 });
    expect(partWay).toMatchObject({
      kind: 'bulk_order_action',
      label: 'Close order: 14 orders',
      state: 'running',
      total: pasted.length,
      failures: 2,
      startedBy: 'support@bulk.test',
      reason: 'ticket 4711: customer cancelled',
      timeLeftMs: expect.any(Number),
    });
    expect((await viewer.longWork.list({})).work.map((work) => work.id)).toEqual([partWay.id]);
    await letGo();

    const result = await running;
    expect(result.outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.orderId)).toEqual(unpaid);
    expect(result.outcomes.filter((outcome) => !outcome.ok).map((outcome) => outcome.orderId)).toEqual([alreadyClosed, 'ord_not-a-real-order']);
    const [finished] = (await viewer.longWork.list({ startedFrom: '/orders' })).work;
    expect(finished).toMatchObject({ id: result.workId, state: 'finished', done: pasted.length, failures: 2, timeLeftMs: null });
    expect((await viewer.longWork.list({})).work).toEqual([]);

    const closed = await db.select({ status: orders.status }).from(orders).where(sql`${orders.id} = any(${sql.param(unpaid)}::text[])`);
    expect(closed.every((order) => order.status === 'CLOSED')).toBe(true);
    // Each order has its own audit row, as if its button had been pressed; the bulk one says what it was.
    const perOrder = await db.select().from(auditLog).where(eq(auditLog.action, 'orders.closeOrder'));
    expect(perOrder).toHaveLength(pasted.length);
    expect(perOrder.filter((entry) => entry.outcome === 'ok').map((entry) => entry.target).sort()).toEqual([...unpaid].sort());
    expect(perOrder.every((entry) => entry.actorEmail === 'support@bulk.test' && entry.reason === 'ticket 4711: customer cancelled')).toBe(true);
    const [bulk] = await db.select().from(auditLog).where(eq(auditLog.action, 'orders.bulkCompensate'));
    expect(bulk).toMatchObject({ outcome: 'ok', target: 'closeOrder', requestId: 'bulk-close-4711' });
  });

  it('acts once when the same request comes again, and is refused to a viewer', async () => {
    const before = await db.select({ id: longWork.id }).from(longWork);
    const again = await support.orders.bulkCompensate({ action: 'closeOrder', orderIds: ['ord_not-a-real-order'], reason: 'ticket 4711: customer cancelled', requestId: 'bulk-close-4711' });
    expect(again.outcomes).toHaveLength(14);
    await expect(viewer.orders.bulkCompensate({ action: 'closeOrder', orderIds: ['ord_x'], reason: 'trying my luck' })).rejects.toThrow(/needs support/);
    expect(await db.select({ id: longWork.id }).from(longWork)).toEqual(before);
  });

  it('is closed as stopped when the process running it has not counted an order for two minutes', async () => {
    const [stale] = await db
      .insert(longWork)
      .values({ kind: 'bulk_order_action', label: 'Close order: 50 orders', startedFrom: '/orders', startedBy: 'support@bulk.test', reason: 'a console restart', total: 50, done: 20, subject: { bulkOrderAction: { action: 'closeOrder', orderIds: [] } }, updatedAt: new Date(Date.now() - 3 * 60_000) })
      .returning();
    const [fresh] = await db
      .insert(longWork)
      .values({ kind: 'bulk_order_action', label: 'Close order: 50 orders', startedFrom: '/orders', startedBy: 'support@bulk.test', reason: 'still going', total: 50, done: 20, subject: { bulkOrderAction: { action: 'closeOrder', orderIds: [] } } })
      .returning();
    await trackLongWork(db);
    const [closed] = await db.select().from(longWork).where(eq(longWork.id, stale!.id));
    expect(closed).toMatchObject({ state: 'failed', done: 20, error: expect.stringMatching(/^Abandoned: the console process running it stopped/) });
    const [still] = await db.select().from(longWork).where(and(eq(longWork.id, fresh!.id), eq(longWork.state, 'running')));
    expect(still).toBeDefined();
  });
});
