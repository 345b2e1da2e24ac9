import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { listStuckOrders, STUCK_COUNT_CAP } from './order-search';

const { db } = await createTestDatabase();

afterAll(async () => {
  await db.$client.end();
});

describe('stuck orders by the thousand', () => {
  it('counts a stage up to 10,000 and says there are more, while the page still lists the oldest first', async () => {
    await db.$client`
      insert into orders (id, user_id, contact_phone, status, stock_state, total_cents, created_at, updated_at, payment_deadline)
      select 'ord_stuck_' || lpad(n::text, 6, '0'), 'user-' || n, '+15550000000', 'REFUND_FAILED', 'SOLD', 1000,
             now() - interval '2 days', now() - interval '1 day' - n * interval '1 second', now() - interval '2 days'
      from generate_series(1, ${STUCK_COUNT_CAP + 5}) n`;
    await db.$client`
      insert into orders (id, user_id, contact_phone, status, stock_state, total_cents, created_at, updated_at, payment_deadline)
      values ('ord_late_paid', 'user-x', '+15550000000', 'PAID', 'SOLD', 1000, now() - interval '1 hour', now() - interval '1 hour', now())`;

    const all = await listStuckOrders(db, { limit: 50 });
    const refundFailed = all.pastDeadlineByStage.find((stage) => stage.stage === 'refund failed')!;
    expect(refundFailed).toMatchObject({ count: STUCK_COUNT_CAP, capped: true });
    expect(all.pastDeadlineByStage.find((stage) => stage.stage === 'paid, not at warehouse')).toMatchObject({ count: 1, capped: false });
    expect(all.orders).toHaveLength(50);
    expect(all.orders[0]!.id).toBe(`ord_stuck_${String(STUCK_COUNT_CAP + 5).padStart(6, '0')}`);

    const paid = await listStuckOrders(db, { stage: 'paid, not at warehouse', limit: 50 });
    expect(paid.orders.map((order) => order.id)).toEqual(['ord_late_paid']);
    const next = await listStuckOrders(db, { stage: 'refund failed', cursor: all.orders[49]!.id, limit: 50 });
    expect(next.orders[0]!.id).toBe(`ord_stuck_${String(STUCK_COUNT_CAP + 5 - 50).padStart(6, '0')}`);
  });
});
