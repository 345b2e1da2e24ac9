import type { Sql } from 'postgres';

/**
 * The production-sized dataset of `npm run seed:scale`, written with set-based SQL
 * (`insert … select generate_series`) so ten million events take minutes. Every row is derived
 * from its index, so the tables agree with each other: an order's total is the sum of its items,
 * its events follow its status, each partition's offsets run without holes and end at
 * log_partitions.next_offset, and every retry and dead letter names an event of a group that
 * subscribes to its type.
 */
export interface ScaleDatasetSize {
  events: number;
  orders: number;
  deadLetters: number;
  retries: number;
  audit: number;
}

export interface ScaleStep {
  name: string;
  /** Rows this step writes, for the progress line. */
  rows: number;
  run(sql: Sql, report: (done: number) => void): Promise<void>;
}

export const SCALE_PARTITIONS = 16;
const SKU_COUNT = 200;
/** The order whose page traces many events (a long refund saga retried over and over). */
export const HEAVY_ORDER_EVENTS = 2_000;
const CHUNK = 1_000_000;

/** Event types in the order a normal order emits them; an order with more events goes round again (a second refund, a re-shipment). */
const LIFECYCLE = ['OrderCreated', 'OrderPaid', 'ShipmentAccepted', 'OrderShipped', 'RefundRequested', 'RefundSucceeded', 'OrderPaymentTimeout', 'OrderClosed'];
/** The heavy order's events after its first ones: a refund asked again and again. */
const HEAVY_CYCLE = ['RefundRequested', 'RefundFailed'];

export const SCALE_GROUPS: { group: string; types: string[]; maxAttempts: number; lag: number }[] = [
  { group: 'points', types: ['OrderPaid', 'RefundSucceeded'], maxAttempts: 10, lag: 0 },
  { group: 'coupons', types: ['OrderPaid', 'RefundSucceeded'], maxAttempts: 10, lag: 3 },
  { group: 'notifications', types: ['OrderPaid', 'OrderShipped', 'RefundSucceeded'], maxAttempts: 20, lag: 1_800 },
  { group: 'fulfilment', types: ['OrderPaid', 'RefundRequested'], maxAttempts: 30, lag: 40 },
  { group: 'refunds', types: ['RefundRequested'], maxAttempts: 10, lag: 0 },
  { group: 'timeouts', types: ['OrderPaymentTimeout'], maxAttempts: 10, lag: 0 },
  { group: 'analytics', types: ['OrderPaid', 'RefundSucceeded'], maxAttempts: 10, lag: 12 },
];

const ERRORS = [
  ['IntegrationError', 'SMS gateway answered 503 Service Unavailable'],
  ['IntegrationError', 'WMS did not answer within 5000 ms'],
  ['IntegrationError', 'payment provider refused the refund: 429 Too Many Requests'],
  ['TimeoutError', 'handler did not finish within 30000 ms'],
  ['ValidationError', 'payload failed validation: items[0].sku: Required'],
  ['IntegrationError', 'WMS answered 409: shipment already cancelled'],
];

const AUDIT_ACTIONS = [
  'deadLetters.replay',
  'deadLetters.discard',
  'failedPushes.retryNow',
  'failedPushes.giveUp',
  'orders.repushShipment',
  'orders.retryRefund',
  'orders.closeOrder',
  'orders.releaseStock',
  'queues.pause',
  'queues.resume',
  'alerts.acknowledge',
];

/**
 * How the events are laid out: consecutive ids per order, the first `longer` orders one event
 * more than `perOrder` so the total is exactly --events, then the heavy order's.
 */
export function eventLayout(size: ScaleDatasetSize) {
  const heavy = Math.min(HEAVY_ORDER_EVENTS, Math.floor(size.events / 10));
  const normal = size.events - heavy;
  const ordersWithEvents = Math.min(size.orders, normal);
  const perOrder = Math.floor(normal / ordersWithEvents);
  const longer = normal - perOrder * ordersWithEvents;
  // An order from the middle of the month: old enough that its trace is long, not at the edge of any page.
  const heavyOrder = Math.max(1, Math.floor(ordersWithEvents / 2));
  return { heavy, perOrder, longer, ordersWithEvents, normal, heavyOrder };
}

/** The id of order n's event at position pos (SQL expressions), in eventLayout's layout. */
function eventIdSql(layout: ReturnType<typeof eventLayout>, n: string, pos: string) {
  const { perOrder, longer } = layout;
  return `(case when ${n} <= ${longer} then (${n} - 1) * ${perOrder + 1} + ${pos} + 1 else ${longer * (perOrder + 1)} + (${n} - ${longer} - 1) * ${perOrder} + ${pos} + 1 end)`;
}

/** The id of the n-th seeded order (1-based): uuid-shaped like real ones, and the same in every step. */
export const orderIdSql = (n: string) => `'ord_' || md5('scale-order-' || ${n})::uuid::text`;
export const orderIdOf = async (sql: Sql, n: number) => (await sql.unsafe<{ id: string }[]>(`select ${orderIdSql(String(n))} as id`))[0]!.id;

const textArray = (values: string[]) => `array[${values.map((value) => `'${value.replaceAll("'", "''")}'`).join(',')}]::text[]`;

export function scaleSteps(size: ScaleDatasetSize): ScaleStep[] {
  const layout = eventLayout(size);
  const { perOrder, longer, normal, heavy, heavyOrder } = layout;
  const orders = size.orders;
  const monthMs = 30 * 24 * 3600_000;
  // Orders arrive evenly over 30 days, the newest a few seconds ago; order n is created at createdAt(n).
  const createdAt = (n: string) => `(now() - (${orders} - ${n}) * interval '${monthMs / orders} milliseconds')`;
  const newest = Math.floor(orders * 0.995);
  // A stable pseudo-random 0..999 per order, so statuses are mixed rather than striped.
  const dice = (n: string) => `((${n}::int8 * 7919 + 13) % 1000)`;
  const statusOf = (n: string) => `(case when ${n} > ${newest} then
      case when ${dice(n)} < 400 then 'PENDING_PAYMENT' when ${dice(n)} < 600 then 'PAID' when ${dice(n)} < 900 then 'FULFILLING' else 'SHIPPED' end
    else case when ${dice(n)} < 700 then 'SHIPPED' when ${dice(n)} < 850 then 'CLOSED' when ${dice(n)} < 950 then 'REFUNDED'
      when ${dice(n)} < 990 then 'SHIPPED' when ${dice(n)} < 992 then 'REFUND_FAILED' when ${dice(n)} < 995 then 'REFUNDING'
      when ${dice(n)} < 998 then 'FULFILLING' else 'PAID' end end)`;
  const lineCount = (n: string) => `(1 + ${n} % 3)`;
  const skuNumber = (n: string, k: string) => `((${n}::int8 * 31 + ${k} * 17) % ${SKU_COUNT})`;
  const skuId = (n: string, k: string) => `'SCALE-' || lpad(${skuNumber(n, k)}::text, 3, '0')`;
  const priceOf = (skuN: string) => `(500 + (${skuN} * 37) % 9000)`;
  const quantity = (n: string, k: string) => `(1 + (${n} + ${k}) % 3)`;
  const heavyId = orderIdSql(String(heavyOrder));

  const chunked = async (report: (done: number) => void, total: number, run: (from: number, to: number) => Promise<unknown>) => {
    for (let from = 1; from <= total; from += CHUNK) {
      const to = Math.min(total, from + CHUNK - 1);
      await run(from, to);
      report(to);
    }
  };

  return [
    {
      name: 'catalog',
      rows: SKU_COUNT,
      run: async (sql) => {
        await sql.unsafe(`
          insert into skus (sku, name, price_cents, total, available)
          select 'SCALE-' || lpad(s::text, 3, '0'), 'Scale item ' || s, ${priceOf('s')}, 10000000, 9000000
          from generate_series(0, ${SKU_COUNT - 1}) s
          on conflict (sku) do nothing`);
      },
    },
    {
      name: 'orders',
      rows: orders,
      run: (sql, report) =>
        chunked(report, orders, (from, to) =>
          sql.unsafe(`
            insert into orders (id, user_id, contact_phone, status, stock_state, total_cents, created_at, updated_at, payment_deadline,
                                paid_at, payment_id, closed_at, close_reason, refund_reason, carrier, tracking_number, shipped_at)
            select ${orderIdSql('n')}, 'user-' || (n * 104729 % 200000), '+1555' || lpad((n % 10000000)::text, 7, '0'), st::order_status,
                   (case st when 'PENDING_PAYMENT' then 'FROZEN' when 'CLOSED' then 'RELEASED' when 'REFUNDED' then 'RESTOCKED' else 'SOLD' end)::stock_state,
                   (select sum(${quantity('n', 'k')} * ${priceOf(skuNumber('n', 'k'))}) from generate_series(0, ${lineCount('n')} - 1) k),
                   created, created + (case st when 'PENDING_PAYMENT' then interval '0' when 'PAID' then interval '3 seconds' else interval '40 minutes' end),
                   created + interval '15 minutes',
                   case when st not in ('PENDING_PAYMENT', 'CLOSED') then created + interval '2 seconds' end,
                   case when st not in ('PENDING_PAYMENT', 'CLOSED') then 'pay_' || md5('scale-payment-' || n) end,
                   case when st = 'CLOSED' then created + interval '15 minutes' end,
                   case when st = 'CLOSED' then 'timeout' end,
                   case when st in ('REFUNDING', 'REFUNDED', 'REFUND_FAILED') then 'customer changed their mind' end,
                   case when st in ('SHIPPED', 'REFUNDED') then 'ACME Freight' end,
                   case when st in ('SHIPPED', 'REFUNDED') then 'TRK' || lpad(n::text, 10, '0') end,
                   case when st in ('SHIPPED', 'REFUNDED') then created + interval '40 minutes' end
            from (select n, ${statusOf('n')} as st, ${createdAt('n')} as created from generate_series(${from}::int8, ${to}::int8) n) o`),
        ),
    },
    {
      name: 'order items (1 to 3 per order, counted in orders)',
      rows: orders,
      run: (sql, report) =>
        chunked(report, orders, (from, to) =>
          sql.unsafe(`
            insert into order_items (order_id, sku, quantity, unit_price_cents)
            select ${orderIdSql('n')}, ${skuId('n', 'k')}, ${quantity('n', 'k')}, ${priceOf(skuNumber('n', 'k'))}
            from generate_series(${from}::int8, ${to}::int8) n, generate_series(0, ${lineCount('n')} - 1) k`),
        ),
    },
    {
      name: 'payments',
      rows: orders,
      run: async (sql) => {
        await sql.unsafe(`insert into payments (id, order_id, amount_cents, received_at) select payment_id, id, total_cents, paid_at from orders where payment_id is not null`);
      },
    },
    {
      name: 'consumer groups',
      rows: SCALE_GROUPS.length,
      run: async (sql) => {
        for (const group of SCALE_GROUPS) {
          await sql.unsafe(`
            insert into consumer_groups ("group", types, topics, max_attempts) values ('${group.group}', ${textArray(group.types)}, array['orders']::text[], ${group.maxAttempts})
            on conflict ("group") do nothing`);
        }
      },
    },
    {
      name: 'events',
      rows: normal + heavy,
      run: async (sql, report) => {
        // Order n's events are consecutive ids, all in partition n % P; offsets count on from where each partition ends.
        const longIds = longer * (perOrder + 1);
        await chunked(report, normal, async (from, to) => {
          const ends = await sql.unsafe<{ partition: number; next: string }[]>(`
            select p as partition, coalesce((select max("offset") + 1 from events where partition = p), 0)::text as next from generate_series(0, ${SCALE_PARTITIONS - 1}) p`);
          await sql.unsafe(`
            insert into events (id, topic, key, type, payload, headers, created_at, deliver_at, logged_at, partition, "offset")
            select id, 'orders', ${orderIdSql('n')}, type, jsonb_build_object('orderId', ${orderIdSql('n')}, 'userId', 'user-' || (n * 104729 % 200000), 'position', pos),
                   '{}'::jsonb, at, at, at + interval '30 milliseconds', part, ends.next + row_number() over (partition by part order by id) - 1
            from (select id, n, pos, n % ${SCALE_PARTITIONS} as part, (${textArray(LIFECYCLE)})[pos % ${LIFECYCLE.length} + 1] as type, ${createdAt('n')} + pos * interval '20 minutes' as at
                  from (select id,
                               case when id <= ${longIds} then (id - 1) / ${perOrder + 1} + 1 else ${longer} + (id - ${longIds} - 1) / ${perOrder} + 1 end as n,
                               case when id <= ${longIds} then (id - 1) % ${perOrder + 1} else (id - ${longIds} - 1) % ${perOrder} end as pos
                        from generate_series(${from}::int8, ${to}::int8) id) ids) e
            join (values ${ends.map((end) => `(${end.partition}, ${end.next}::int8)`).join(', ')}) ends(partition, next) on ends.partition = e.part`);
        });
        if (heavy === 0) return;
        const [end] = await sql.unsafe<{ next: string }[]>(`select coalesce(max("offset") + 1, 0) as next from events where partition = ${heavyOrder % SCALE_PARTITIONS}`);
        await sql.unsafe(`
          insert into events (id, topic, key, type, payload, headers, created_at, deliver_at, logged_at, partition, "offset")
          select ${normal} + q, 'orders', ${heavyId}, (${textArray(HEAVY_CYCLE)})[q % 2 + 1],
                 jsonb_build_object('orderId', ${heavyId}, 'refundId', 'ref_' || q, 'attempt', q), '{}'::jsonb,
                 now() - (${heavy} - q) * interval '10 seconds', now() - (${heavy} - q) * interval '10 seconds', now() - (${heavy} - q) * interval '10 seconds',
                 ${heavyOrder % SCALE_PARTITIONS}, ${end!.next} + q - 1
          from generate_series(1, ${heavy}) q`);
        report(normal + heavy);
      },
    },
    {
      name: 'log partitions and offsets',
      rows: SCALE_PARTITIONS * (SCALE_GROUPS.length + 1),
      run: async (sql) => {
        await sql.unsafe(`
          insert into log_partitions (partition, next_offset)
          select p, coalesce((select max("offset") + 1 from events where partition = p), 0) from generate_series(0, ${SCALE_PARTITIONS - 1}) p
          on conflict (partition) do update set next_offset = excluded.next_offset`);
        for (const group of SCALE_GROUPS) {
          // A lagging group is behind on a few partitions only, as when one worker is slow.
          await sql.unsafe(`
            insert into consumer_offsets ("group", partition, committed_offset, handled_count, committed_at)
            select '${group.group}', partition, greatest(0, next_offset - case when partition % 4 = 0 then ${group.lag} else 0 end),
                   next_offset * ${group.types.length} / 8, now()
            from log_partitions
            on conflict ("group", partition) do update set committed_offset = excluded.committed_offset, handled_count = excluded.handled_count`);
        }
      },
    },
    {
      name: 'processed marks (newest events and the long trace)',
      rows: (Math.min(normal, 200_000) + heavy) * 2,
      run: async (sql) => {
        await sql.unsafe(`
          insert into processed_events ("group", event_id, processed_at)
          select g."group", e.id, e.logged_at + interval '80 milliseconds'
          from events e join consumer_groups g on e.type = any(g.types)
          where e.id > ${Math.max(0, normal - 200_000)} or e.key = ${heavyId}
          on conflict do nothing`);
      },
    },
    {
      name: 'retries',
      rows: size.retries,
      run: (sql, report) => failedDeliveries(sql, report, 'retries', size.retries, layout, 0),
    },
    {
      name: 'dead letters',
      rows: size.deadLetters,
      run: (sql, report) => failedDeliveries(sql, report, 'dead_letters', size.deadLetters, layout, size.retries),
    },
    {
      name: 'audit log',
      rows: size.audit,
      run: async (sql, report) => {
        const staff = await sql<{ id: string; email: string; role: string }[]>`select id, email, role::text from users order by email`;
        if (staff.length === 0) throw new Error('no users to act in the audit log: seed the users first');
        const pick = (column: 'id' | 'email' | 'role') => `(${textArray(staff.map((user) => user[column]))})[a % ${staff.length} + 1]`;
        await chunked(report, size.audit, (from, to) =>
          sql.unsafe(`
            insert into audit_log (at, actor_id, actor_email, actor_role, action, target, reason, input, outcome, message, request_id)
            select now() - (${size.audit} - a) * interval '${monthMs / Math.max(1, size.audit)} milliseconds', ${pick('id')}, ${pick('email')}, ${pick('role')}::role,
                   (${textArray(AUDIT_ACTIONS)})[a % ${AUDIT_ACTIONS.length} + 1], ${orderIdSql(`(a * 7 % ${orders} + 1)`)},
                   (array['customer called support', 'WMS outage ticket OPS-' || (a % 900 + 100), 'replaying after the SMS gateway recovered', 'duplicate shipment reported'])[a % 4 + 1],
                   jsonb_build_object('orderId', ${orderIdSql(`(a * 7 % ${orders} + 1)`)}),
                   (case when a % 50 = 0 then 'denied' when a % 97 = 0 then 'error' else 'ok' end)::audit_outcome,
                   case when a % 50 = 0 then 'Your role may not do this' end, 'scale-' || a
            from generate_series(${from}::int8, ${to}::int8) a`),
        );
      },
    },
    {
      name: 'lag history (24 h, every 5 s)',
      rows: 17_280 * SCALE_GROUPS.length,
      run: async (sql) => {
        await sql.unsafe(`
          insert into lag_samples (sampled_at, "group", lag, oldest_unconsumed_age_ms, handled_count)
          select now() - s * interval '5 seconds', g."group",
                 greatest(0, (g.base * (1.2 + sin(s / 720.0)))::int8 + (s * 37 % 11)), case when g.base > 0 then 2000 + (s * 53 % 9000) end,
                 10000000 - s * 40
          from generate_series(0, 17279) s,
               (values ${SCALE_GROUPS.map((group) => `('${group.group}', ${group.lag})`).join(', ')}) g("group", base)`);
        // Their per-minute summary, as the sampler keeps it.
        await sql.unsafe(`
          insert into lag_minutes (minute, "group", lag, oldest_unconsumed_age_ms)
          select date_trunc('minute', sampled_at), "group", max(lag), max(oldest_unconsumed_age_ms) from lag_samples group by 1, 2
          on conflict do nothing`);
      },
    },
    {
      name: 'overview history (48 h, every minute)',
      rows: 2_880 * 6,
      run: async (sql) => {
        await sql.unsafe(`
          insert into overview_samples (metric, minute, value)
          select metric, date_trunc('minute', now()) - m * interval '1 minute', base + (m * 13 % 7)
          from generate_series(0, 2879) m,
               (values ('dead_letters', ${size.deadLetters}), ('retrying', ${size.retries}), ('open_alerts', 2), ('pending_approvals', 1), ('open_diffs', 0), ('invariant_violations', 0)) v(metric, base)
          on conflict do nothing`);
      },
    },
    {
      name: 'sales reports (30 days, hourly per SKU)',
      rows: 720 * SKU_COUNT,
      run: async (sql) => {
        await sql.unsafe(`
          insert into sales_hourly (hour, sku, orders_paid, units_sold, gmv_cents, refunds, refunded_cents)
          select date_trunc('hour', now()) - h * interval '1 hour', 'SCALE-' || lpad(s::text, 3, '0'),
                 p, p * 2, p * 2 * ${priceOf('s')}, p / 20, (p / 20) * 2 * ${priceOf('s')}
          from generate_series(0, 719) h, generate_series(0, ${SKU_COUNT - 1}) s,
               lateral (select (4 + (h * 7 + s * 3) % 9 + (8 * (1 + sin((h % 24) / 3.82)))::int) as p) paid
          on conflict do nothing`);
        // The report's rollups, summed from the rows above as the analytics consumer keeps them.
        await sql.unsafe(`
          insert into sales_hourly_totals (hour, orders_paid, units_sold, gmv_cents, refunds, refunded_cents)
          select hour, sum(orders_paid), sum(units_sold), sum(gmv_cents), sum(refunds), sum(refunded_cents) from sales_hourly group by hour
          on conflict do nothing`);
        await sql.unsafe(`
          insert into sales_daily (day, sku, orders_paid, units_sold, gmv_cents, refunds, refunded_cents)
          select date_trunc('day', hour, 'UTC'), sku, sum(orders_paid), sum(units_sold), sum(gmv_cents), sum(refunds), sum(refunded_cents) from sales_hourly group by 1, 2
          on conflict do nothing`);
      },
    },
  ];
}

/**
 * Retries and dead letters of the OrderPaid (or, when orders emit one event, OrderCreated) event of
 * distinct orders, spread over the groups that subscribe to it; `skip` orders are left to the
 * step before, so no delivery is both retrying and dead.
 */
async function failedDeliveries(sql: Sql, report: (done: number) => void, table: 'retries' | 'dead_letters', count: number, layout: ReturnType<typeof eventLayout>, skip: number) {
  if (count === 0) return;
  const { perOrder, ordersWithEvents } = layout;
  const position = perOrder > 1 ? 1 : 0;
  const groups = perOrder > 1 ? SCALE_GROUPS.filter((group) => group.types.includes('OrderPaid')).map((group) => group.group) : [SCALE_GROUPS[0]!.group];
  // Failed deliveries pile up on the recent orders an outage hit, so take the newest orders first.
  const ordersNeeded = Math.ceil((count + skip) / groups.length);
  const firstOrder = Math.max(1, ordersWithEvents - ordersNeeded);
  const eventOf = (f: string) => eventIdSql(layout, `(${firstOrder} + (${f}) / ${groups.length})`, String(position));
  const groupOf = (f: string) => `(${textArray(groups)})[(${f}) % ${groups.length} + 1]`;
  const error = (f: string) => `(${textArray(ERRORS.map(([, message]) => message!))})[(${f}) % ${ERRORS.length} + 1]`;
  const errorClass = (f: string) => `(${textArray(ERRORS.map(([kind]) => kind!))})[(${f}) % ${ERRORS.length} + 1]`;
  const errors = (f: string, attempts: string) =>
    `(select jsonb_agg(jsonb_build_object('attempt', t, 'at', to_char(now() - (${attempts} - t) * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'errorClass', ${errorClass(f)}, 'message', ${error(f)})) from generate_series(1, ${attempts}) t)`;
  const from = skip;
  const to = skip + count - 1;
  if (table === 'retries') {
    await sql.unsafe(`
      insert into retries ("group", event_id, attempt, next_attempt_at, last_error, error_class, errors, created_at, updated_at)
      select ${groupOf('f')}, ${eventOf('f')}, 1 + f % 7, now() + (f % 600) * interval '1 second', ${error('f')}, ${errorClass('f')}, ${errors('f', '(1 + f % 7)')},
             now() - (f % 3600) * interval '1 second', now() - (f % 60) * interval '1 second'
      from generate_series(${from}::int8, ${to}::int8) f
      on conflict do nothing`);
  } else {
    const monthSeconds = 30 * 24 * 3600;
    await sql.unsafe(`
      insert into dead_letters ("group", event_id, attempts, last_error, error_class, errors, status, dead_at, replayed_at, replayed_by, discarded_at, discarded_by, discard_reason)
      select ${groupOf('f')}, ${eventOf('f')}, 10, ${error('f')}, ${errorClass('f')}, ${errors('f', '10')}, st::dead_letter_status, dead,
             case when st = 'replayed' then dead + interval '1 hour' end, case when st = 'replayed' then 'oncall@conveyor.demo' end,
             case when st = 'discarded' then dead + interval '2 hours' end, case when st = 'discarded' then 'oncall@conveyor.demo' end,
             case when st = 'discarded' then 'customer refunded by hand' end
      from (select f, case when f % 10 < 6 then 'dead' when f % 10 < 9 then 'replayed' else 'discarded' end as st,
                   now() - ((${to} - f) * ${monthSeconds} / ${Math.max(1, count)}) * interval '1 second' as dead
            from generate_series(${from}::int8, ${to}::int8) f) d`);
  }
  report(count);
}
