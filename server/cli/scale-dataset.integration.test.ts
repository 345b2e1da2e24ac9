import { afterAll, describe, expect, it } from 'vitest';
import { searchOrders, listStuckOrders } from '@/server/orders/order-search';
import { getLag, searchDeadLetters, traceKey } from '@/server/pipeline';
import { salesBySku, salesOverTime } from '@/server/ops/sales-report';
import { createTestDatabase } from '@/test/database';
import { eventLayout, orderIdOf, scaleSteps, type ScaleDatasetSize } from './scale-dataset';

const { db } = await createTestDatabase();
const sql = db.$client;
const size: ScaleDatasetSize = { events: 30_011, orders: 3_000, deadLetters: 400, retries: 300, audit: 3_000 };

await sql`insert into users (id, name, email, role) values ('u-oncall', 'On call', 'oncall@scale.test', 'oncall'), ('u-support', 'Support', 'support@scale.test', 'support')`;
for (const step of scaleSteps(size)) await step.run(sql, () => {});

afterAll(async () => {
  await db.$client.end();
});

describe('the scale dataset', () => {
  it('holds exactly the rows asked for', async () => {
    const [counts] = await sql<{ events: number; orders: number; dead: number; retries: number; audit: number }[]>`
      select (select count(*)::int from events) as events, (select count(*)::int from orders) as orders,
             (select count(*)::int from dead_letters) as dead, (select count(*)::int from retries) as retries,
             (select count(*)::int from audit_log) as audit`;
    expect(counts).toEqual({ events: size.events, orders: size.orders, dead: size.deadLetters, retries: size.retries, audit: size.audit });
  });

  it("agrees with itself: totals are their items' sum, each partition's offsets run 0…next_offset−1 with one partition per order", async () => {
    const [totals] = await sql<{ wrong: number }[]>`
      select count(*)::int as wrong from orders o where total_cents <> (select sum(quantity * unit_price_cents) from order_items i where i.order_id = o.id)`;
    expect(totals!.wrong).toBe(0);
    const partitions = await sql<{ partition: number; events: number; first: number; last: number; next: number }[]>`
      select e.partition, count(*)::int as events, min("offset")::int as first, max("offset")::int as last, l.next_offset::int as next
      from events e join log_partitions l on l.partition = e.partition group by e.partition, l.next_offset`;
    for (const partition of partitions) expect(partition).toMatchObject({ first: 0, last: partition.events - 1, next: partition.events });
    const [split] = await sql<{ keys: number }[]>`select count(*)::int as keys from (select key from events group by key having count(distinct partition) > 1) k`;
    expect(split!.keys).toBe(0);
  });

  it('fails only deliveries a group subscribes to, each of an existing event', async () => {
    const [orphans] = await sql<{ count: number }[]>`
      select count(*)::int as count from (
        select r."group", r.event_id from retries r union all select d."group", d.event_id from dead_letters d
      ) f left join events e on e.id = f.event_id left join consumer_groups g on g."group" = f."group"
      where e.id is null or not (e.type = any(g.types))`;
    expect(orphans!.count).toBe(0);
  });

  it('gives every screen rows: orders newest first, stuck orders, dead letters, lag, and the long trace', async () => {
    const page = await searchOrders(db, { limit: 50 });
    expect(page.orders).toHaveLength(50);
    expect(page.orders[0]!.createdAt.getTime()).toBeGreaterThan(page.orders[49]!.createdAt.getTime());
    expect((await listStuckOrders(db, { limit: 50 })).orders.length).toBeGreaterThan(0);
    expect((await searchDeadLetters(db, { filter: { status: 'dead' }, limit: 50 })).rows).toHaveLength(50);
    expect((await getLag(db)).find((group) => group.group === 'notifications')!.lag).toBeGreaterThan(0);
    const layout = eventLayout(size);
    const heavy = await orderIdOf(sql, layout.heavyOrder);
    expect(await traceKey(db, { key: heavy, limit: 5_000 })).toHaveLength(layout.heavy + layout.perOrder + (layout.heavyOrder <= layout.longer ? 1 : 0));
  });

  it('fills the sales report over 30 days, its rollups agreeing with the hourly rows', async () => {
    expect(await salesOverTime(db, { hours: 720 })).toHaveLength(720);
    const [hourly] = await sql<{ gmv: number }[]>`select sum(gmv_cents)::float8 as gmv from sales_hourly`;
    const ranked = await salesBySku(db, { hours: 720, limit: 1_000 });
    expect(ranked.reduce((sum, row) => sum + row.gmvCents, 0)).toBe(hourly!.gmv);
  });
});
