import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { OrderStatus } from '@/db/schema';
import { STUCK_STATUSES, type StuckStatus } from '@/shared/order-status';
import { parseTimestamps } from '@/db/parse-timestamps';
import { keyHasFailingDelivery, listDeliveries } from '@/server/pipeline';
import { ORDERS_TOPIC } from './events';

export interface OrderSearchFilter {
  /** Exact ids (a pasted list); when given, the other filters still narrow it. */
  orderIds?: string[];
  userId?: string;
  status?: OrderStatus;
  createdFrom?: Date;
  createdTo?: Date;
}

export type OrderRow = {
  id: string;
  userId: string;
  status: OrderStatus;
  stockState: string;
  totalCents: number;
  createdAt: Date;
  updatedAt: Date;
  paidAt: Date | null;
};

const orderColumns = sql`o.id, o.user_id as "userId", o.status, o.stock_state as "stockState", o.total_cents as "totalCents",
  o.created_at as "createdAt", o.updated_at as "updatedAt", o.paid_at as "paidAt"`;


/** Newest first, keyset-paginated on (created_at, id): served by orders_created_idx, orders_user_created_idx and the primary key. */
export async function searchOrders(db: Executor, input: OrderSearchFilter & { cursor?: string; limit?: number }) {
  const limit = input.limit ?? 50;
  const conditions = [sql`true`];
  if (input.orderIds?.length) conditions.push(sql`o.id = any(${sql.param(input.orderIds)}::text[])`);
  if (input.userId) conditions.push(sql`o.user_id = ${input.userId}`);
  if (input.status) conditions.push(sql`o.status = ${input.status}`);
  if (input.createdFrom) conditions.push(sql`o.created_at >= ${input.createdFrom.toISOString()}::timestamptz`);
  if (input.createdTo) conditions.push(sql`o.created_at < ${input.createdTo.toISOString()}::timestamptz`);
  // The cursor is the last order id of the previous page; its time is read in SQL, keeping microseconds.
  if (input.cursor) conditions.push(sql`(o.created_at, o.id) < ((select created_at from orders where id = ${input.cursor}), ${input.cursor})`);
  const rows = await db.execute<OrderRow>(sql`
    select ${orderColumns} from orders o
    where ${sql.join(conditions, sql` and `)}
    order by o.created_at desc, o.id desc
    limit ${limit + 1}`);
  const page = parseTimestamps(rows.slice(0, limit), ['createdAt', 'updatedAt', 'paidAt']);
  const last = page[page.length - 1];
  return { orders: page, nextCursor: rows.length > limit && last ? last.id : null };
}

/** The stages an order can get stuck in, in the order the console lists them, with how long each may take. */
export const stuckStages = [
  { stage: 'unpaid past deadline', status: 'PENDING_PAYMENT', label: 'Unpaid past its payment deadline, not closed', deadlineMs: 2 * 60_000 },
  { stage: 'paid, not at warehouse', status: 'PAID', label: 'Paid, not accepted by the warehouse', deadlineMs: 2 * 60_000 },
  { stage: 'fulfilling, not dispatched', status: 'FULFILLING', label: 'At the warehouse, not dispatched', deadlineMs: 30 * 60_000 },
  { stage: 'refunding too long', status: 'REFUNDING', label: 'Refunding for too long', deadlineMs: 10 * 60_000 },
  { stage: 'refund failed', status: 'REFUND_FAILED', label: 'Refund failed: needs a person', deadlineMs: 0 },
] as const satisfies readonly { stage: string; status: StuckStatus; label: string; deadlineMs: number }[];

export type StuckStage = (typeof stuckStages)[number]['stage'];

/**
 * The predicate of the partial index orders_stuck_updated_idx (db/schema/orders.ts) as SQL
 * literals: the planner uses the index only when the query repeats its predicate.
 */
const STUCK_STATUSES_SQL = STUCK_STATUSES.map((status) => `'${status}'`).join(', ');

/**
 * An unpaid order is late once its own payment deadline plus the stage's grace has passed
 * (the timeout consumer should have closed it); other stages count from the last change.
 * Both are served by orders_status_updated_idx's leading status column. The stage's status and
 * grace are written into the SQL (they are constants of this module): as parameters, the
 * prepared statement's generic plan, which PostgreSQL switches to after five runs, no longer
 * knew which status it counted and took half a second instead of ten milliseconds.
 */
function pastStageDeadline(stage: (typeof stuckStages)[number]) {
  const status = sql.raw(`'${stage.status}'`);
  const grace = sql.raw(`${stage.deadlineMs} * interval '1 millisecond'`);
  return stage.status === 'PENDING_PAYMENT'
    ? sql`(o.status = ${status} and o.payment_deadline < now() - ${grace})`
    : sql`(o.status = ${status} and o.updated_at < now() - ${grace})`;
}

export type StuckReason =
  | { kind: 'retrying'; group: string; attempt: number; nextAttemptAt: Date; lastError: string | null }
  | { kind: 'dead letter'; group: string; deadLetterId: number; lastError: string | null }
  | { kind: 'alert'; title: string };

export type StuckOrder = OrderRow & { stage: StuckStage; ageMs: number; reasons: StuckReason[] };

/** Counting past-deadline orders stops here: beyond it the console says "10,000+", and an exact figure would cost a scan of every such order. */
export const STUCK_COUNT_CAP = 10_000;

/**
 * Orders past the deadline of their stage, plus orders in a stage whose delivery is failing
 * right now (a retry or a dead letter keyed by the order), oldest first, with what is known
 * about why. Walks orders_stuck_updated_idx (only orders in a stage that can get stuck, in
 * updated_at order) and stops at the page's last row: the oldest of those are nearly all past
 * their deadline, so a page costs about its own rows however many orders there are.
 */
export async function listStuckOrders(db: Executor, input: { stage?: StuckStage; userId?: string; cursor?: string; limit?: number } = {}) {
  const limit = input.limit ?? 50;
  const stages = input.stage ? stuckStages.filter((stage) => stage.stage === input.stage) : stuckStages;
  // Every stage: the partial index's predicate alone, so the planner walks it in order and stops at the page's end
  // (with `status = any(…)` as well it reads every stuck-status order and sorts them). One stage: its status, on orders_status_updated_idx.
  const inStage = input.stage ? sql`o.status = ${stages[0]!.status}` : sql`o.status in (${sql.raw(STUCK_STATUSES_SQL)})`;
  const pastDeadline = sql.join(stages.map(pastStageDeadline), sql` or `);
  const rows = await db.execute<OrderRow>(sql`
    select ${orderColumns} from orders o
    where ${inStage}
      and (${input.userId ?? null}::text is null or o.user_id = ${input.userId ?? null})
      and (${input.cursor ?? null}::text is null or (o.updated_at, o.id) > ((select updated_at from orders where id = ${input.cursor ?? null}), ${input.cursor ?? ''}))
      and ((${pastDeadline}) or ${keyHasFailingDelivery(sql`o.id`)})
    order by o.updated_at, o.id
    limit ${limit + 1}`);
  const page = parseTimestamps(rows.slice(0, limit), ['createdAt', 'updatedAt', 'paidAt']);
  const reasons = await stuckReasons(db, page.map((order) => order.id));
  const now = Date.now();
  const orders: StuckOrder[] = page.map((order) => ({
    ...order,
    stage: stuckStages.find((stage) => stage.status === order.status)!.stage,
    ageMs: now - order.updatedAt.getTime(),
    reasons: reasons.get(order.id) ?? [],
  }));
  const last = page[page.length - 1];
  const counts = await db.execute<{ status: OrderStatus; count: number }>(sql`
    ${sql.join(
      stuckStages.map(
        (stage) =>
          sql`select ${stage.status}::text as status, (select count(*)::int from (select 1 from orders o where ${pastStageDeadline(stage)} limit ${sql.raw(String(STUCK_COUNT_CAP + 1))}) capped) as count`,
      ),
      sql` union all `,
    )}`);
  return {
    orders,
    nextCursor: rows.length > limit && last ? last.id : null,
    pastDeadlineByStage: stuckStages.map((stage) => {
      const count = counts.find((row) => row.status === stage.status)?.count ?? 0;
      return { stage: stage.stage, label: stage.label, deadlineMs: stage.deadlineMs, count: Math.min(count, STUCK_COUNT_CAP), capped: count > STUCK_COUNT_CAP };
    }),
  };
}

async function stuckReasons(db: Executor, orderIds: string[]): Promise<Map<string, StuckReason[]>> {
  const byOrder = new Map<string, StuckReason[]>();
  if (orderIds.length === 0) return byOrder;
  const ids = sql.param(orderIds);
  const add = (orderId: string, reason: StuckReason) => byOrder.set(orderId, [...(byOrder.get(orderId) ?? []), reason]);
  const failing = await listDeliveries(db, { keys: orderIds, states: ['retrying', 'dead'] });
  const retries = failing.flatMap((delivery) => (delivery.state === 'retrying' ? [delivery] : [])).sort((a, b) => a.retryId - b.retryId);
  for (const { key, group, attempt, nextAttemptAt, lastError } of retries) add(key, { kind: 'retrying', group, attempt, nextAttemptAt, lastError });
  const dead = failing.flatMap((delivery) => (delivery.state === 'dead' ? [delivery] : [])).sort((a, b) => a.deadLetterId - b.deadLetterId);
  for (const { key, group, deadLetterId, lastError } of dead) add(key, { kind: 'dead letter', group, deadLetterId, lastError });
  const alerts = await db.execute<{ orderId: string; title: string }>(sql`
    select details->>'orderId' as "orderId", title from alerts
    where status <> 'resolved' and details->>'orderId' = any(${ids}::text[])`);
  for (const row of alerts) add(row.orderId, { kind: 'alert', title: row.title });
  return byOrder;
}
