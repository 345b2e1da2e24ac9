import { context, type Context } from '@opentelemetry/api';
import { fillPlaceholders, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { companionDatabase, type Database, type Executor } from '@/db/client';
import { hasErrorCode } from '@/db/error-code';
import { createGroupCommit, type GroupCommit } from '@/db/group-commit';
import type { OrderStatus } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { recordWebhookReceived, wasWebhookReceived } from '@/server/integrations/received-webhooks';
import { appendEvent, appendEventsFrom, startAppendSpan, wakeRelayAfterCommit } from '@/server/pipeline';
import { ORDERS_TOPIC, orderEvent, type LineItem } from './events';
import { canTransition, ORDER_TRANSITIONS } from './order-state-machine';
import { startRefund } from './request-refund';
import { confirmStock } from './stock';

export interface PaymentReport {
  paymentId: string;
  orderId: string;
  amountCents: number;
  paidAt: Date;
  /**
   * The notification's `webhook-id`, the same on every redelivery of it: recorded with the
   * payment's effect, in its transaction, so a notification acted on once is answered as
   * already handled however it is replayed, and one that failed is not.
   */
  webhookId?: string;
}

export type PaymentOutcome =
  | { kind: 'paid' }
  | { kind: 'duplicate' }
  /** This very notification (its webhook-id) was acted on before: nothing is done again. */
  | { kind: 'already-handled' }
  /** Paid after the order closed, or paid twice: the money is accepted and refunded. */
  | { kind: 'refunding'; refundId: string; because: 'order-closed' | 'already-paid' }
  | { kind: 'amount-mismatch'; expectedCents: number };

type LockedOrder = {
  id: string;
  status: OrderStatus;
  userId: string;
  contactPhone: string;
  totalCents: number;
  items: LineItem[];
};

/**
 * Applies a verified payment notification atomically. The common case, the first
 * notification for an unpaid order of the right amount, is one statement shared with the
 * notifications arriving at the same moment: `payOrdersInOneStatement`, through a group
 * commit per database. Anything else (a duplicate, an amount mismatch, a closed order, no
 * such order) takes the general path, a transaction that works out which and answers for
 * it. Either way the order row is locked first, which serialises concurrent copies, and the
 * provider's payment id (primary key of `payments`) makes every copy after the first a
 * no-op: exactly one OrderPaid.
 */
export async function recordPayment(db: Database, report: PaymentReport): Promise<PaymentOutcome> {
  if (await paymentGroupCommit(db).submit({ ...report, submittedIn: context.active() })) return { kind: 'paid' };
  return recordPaymentInTransaction(db, report);
}

/** A report waiting for the shared statement, with the trace context it was submitted in (its request's). */
type SubmittedPayment = PaymentReport & { submittedIn: Context };

/**
 * Statements in flight per database before notifications queue for a shared one. Few: on
 * two cores, more concurrent statements only wait for each other's CPU, while a queued
 * notification rides the next statement for free. At 2,000 payments a second, two in
 * flight beat four in 8 of 8 paired benchmark runs (p99 median 16.6 vs 19.4 ms): bigger
 * statements, fewer commits, less CPU; one in flight used less CPU still but queued longer.
 */
export const PAYMENT_STATEMENTS_IN_FLIGHT = 2;
const PAYMENTS_PER_STATEMENT = 100;
const DEADLOCK_DETECTED = '40P01';

const groupCommits = new WeakMap<Database, GroupCommit<SubmittedPayment, boolean>>();
const statementSessions = new WeakMap<Database, Database>();

function paymentGroupCommit(db: Database): GroupCommit<SubmittedPayment, boolean> {
  let groupCommit = groupCommits.get(db);
  if (!groupCommit) {
    const sessions = paymentStatementSessions(db);
    groupCommit = createGroupCommit({
      run: (reports) => payOrdersInOneStatement(sessions, reports, db),
      maxInFlight: PAYMENT_STATEMENTS_IN_FLIGHT,
      maxBatchSize: PAYMENTS_PER_STATEMENT,
    });
    groupCommits.set(db, groupCommit);
  }
  return groupCommit;
}

/**
 * The connections the shared payment statement runs on: one per statement in flight, which
 * plan it once and reuse that plan (a generic plan). Left to choose, PostgreSQL planned it
 * anew on every call, because its cost estimate for a few payments beats the generic plan's
 * for the ten it assumes; planning took about a fifth of the web tier's database CPU at
 * 2,000 payments a second. Only these sessions: a generic plan is wrong for queries whose
 * best plan depends on their values (a filter on a rare status), and the web tier's other
 * queries share its main pool.
 */
export function paymentStatementSessions(db: Database): Database {
  let sessions = statementSessions.get(db);
  if (!sessions) {
    sessions = companionDatabase(db, { max: PAYMENT_STATEMENTS_IN_FLIGHT, settings: { plan_cache_mode: 'force_generic_plan' } });
    statementSessions.set(db, sessions);
  }
  return sessions;
}

/**
 * Statuses from the state machine as SQL literals, written into the statement's text rather
 * than bound: the statement stays one constant text, planned once, as a literal status was.
 */
function statusLiterals(statuses: readonly OrderStatus[]) {
  return sql.raw(statuses.map((status) => `'${status}'`).join(', '));
}

/**
 * The shared payment statement (see `payOrdersInOneStatement`), rendered once: its text never
 * changes, only the arrays bound to it. Built through drizzle on every call, it was a
 * fifth of the web tier's allocations at 2,000 payments a second.
 */
const PAY_ORDERS_STATEMENT = new PgDialect({ casing: 'snake_case' }).sqlToQuery(sql`
    with reported as (
      select * from unnest(
        ${sql.placeholder('paymentIds')}::text[],
        ${sql.placeholder('orderIds')}::text[],
        ${sql.placeholder('amountsCents')}::int[],
        ${sql.placeholder('paidAts')}::text[],
        ${sql.placeholder('webhookIds')}::text[],
        ${sql.placeholder('headers')}::text[]
      ) as r(payment_id, order_id, amount_cents, paid_at, webhook_id, headers)
    ), fresh as materialized (
      -- A replayed notification takes the general path, which answers it as already handled.
      -- Materialized, so each report is looked up once, not once per order the join tries.
      -- A scalar subquery, which PostgreSQL never hashes: as NOT EXISTS, a plan made while the
      -- table was young read every received webhook into a hash on each statement, until the
      -- next analyze replaced it (on a new database, bench:payment's first run had p50 10-22 ms, not 2).
      select * from reported r
      where r.webhook_id is null or (select true from received_webhooks w where w.sender = 'payment' and w.webhook_id = r.webhook_id) is null
    ), target as (
      select o.id, r.payment_id, r.amount_cents, r.paid_at, r.headers from orders o join fresh r on r.order_id = o.id
      -- The id list again, for the planner: one primary-key lookup per order. The status is
      -- compared as text so the planner cannot also scan the status index, which lists every
      -- unpaid order: a cost that grows with their number.
      where o.id = any(${sql.placeholder('orderIds')}::text[])
        and o.status::text in (${statusLiterals(ORDER_TRANSITIONS.pay.from)}) and o.total_cents = r.amount_cents
      order by o.id
      for update of o
    ), payment as (
      insert into payments (id, order_id, amount_cents, received_at)
      select payment_id, id, amount_cents, paid_at::timestamptz from target
      on conflict (id) do nothing
      returning id, order_id
    ), paid as (
      update orders set status = ${statusLiterals([ORDER_TRANSITIONS.pay.to])}, paid_at = target.paid_at::timestamptz, payment_id = target.payment_id, updated_at = now(),
        stock_state = case when stock_state = 'FROZEN' then 'SOLD'::stock_state else stock_state end
      from payment join target on target.id = payment.order_id
      where orders.id = payment.order_id and orders.id = any(${sql.placeholder('orderIds')}::text[])
      returning orders.id, orders.user_id, orders.contact_phone, target.payment_id, target.amount_cents, target.paid_at, target.headers
    ), received as (
      insert into received_webhooks (sender, webhook_id)
      select 'payment', r.webhook_id from paid join reported r on r.payment_id = paid.payment_id
      where r.webhook_id is not null
      on conflict do nothing
    ), appended as (${appendEventsFrom({
      topic: ORDERS_TOPIC,
      type: 'OrderPaid',
      key: sql`paid.id`,
      // The OrderPaid schema of events.ts, built here; the payment tests parse it with that schema.
      payload: sql`jsonb_build_object(
        'orderId', paid.id, 'userId', paid.user_id, 'contactPhone', paid.contact_phone,
        'paymentId', paid.payment_id, 'amountCents', paid.amount_cents,
        'items', (select jsonb_agg(jsonb_build_object('sku', i.sku, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents) order by i.sku)
                  from order_items i where i.order_id = paid.id),
        'paidAt', paid.paid_at)`,
      headers: sql`paid.headers::jsonb`,
      from: sql`paid`,
    })})
    select paid.payment_id from paid`);

/**
 * For each report: order PAID, payment recorded, frozen stock confirmed as sold and
 * OrderPaid appended, if the order is unpaid, the amount is right and the payment is new;
 * all in one statement, its own transaction. Answers, per report, whether it paid; a report
 * that did not changed nothing and takes the general path. So do a second report for an
 * order or payment already in this statement, which the general path then answers as the
 * duplicate or second payment it is, and every report of a statement that deadlocked with
 * another (possible only when one payment id is reported for two orders). Orders are
 * locked in id order, so two statements never wait for each other in a cycle over orders;
 * the locking read returns a row as the last committed transaction left it, so a copy that
 * waited for another sees it PAID.
 */
async function payOrdersInOneStatement(sessions: Database, reports: SubmittedPayment[], db: Database): Promise<boolean[]> {
  const orderIds = new Set<string>();
  const paymentIds = new Set<string>();
  const inBatch = reports.map((report) => {
    if (orderIds.has(report.orderId) || paymentIds.has(report.paymentId)) return false;
    orderIds.add(report.orderId);
    paymentIds.add(report.paymentId);
    return true;
  });
  const batch = reports.filter((_, index) => inBatch[index]);
  // Each report's OrderPaid is appended in its own request's trace; null (nothing stored) when that is not traced.
  const appendSpans = batch.map((report) => startAppendSpan([{ topic: ORDERS_TOPIC, type: 'OrderPaid' }], report.submittedIn));
  let rows: { payment_id: string }[];
  try {
    const parameters = fillPlaceholders(PAY_ORDERS_STATEMENT.params, {
      paymentIds: batch.map((report) => report.paymentId),
      orderIds: batch.map((report) => report.orderId),
      amountsCents: batch.map((report) => report.amountCents),
      paidAts: batch.map((report) => report.paidAt.toISOString()),
      webhookIds: batch.map((report) => report.webhookId ?? null),
      headers: appendSpans.map((append) => (append ? JSON.stringify(append.headers) : null)),
    });
    rows = await sessions.$client.unsafe<{ payment_id: string }[]>(PAY_ORDERS_STATEMENT.sql, parameters as never[]);
  } catch (error) {
    for (const append of appendSpans) append?.end({ error });
    if (hasErrorCode(error, DEADLOCK_DETECTED)) return reports.map(() => false);
    throw error;
  }
  if (rows.length > 0) wakeRelayAfterCommit(db);
  const paid = new Set(rows.map((row) => row.payment_id));
  // A report this statement did not pay appended nothing here; the general path appends for it if it should.
  appendSpans.forEach((append, index) => append?.end({ appended: paid.has(batch[index]!.paymentId) ? 1 : 0 }));
  return reports.map((report, index) => inBatch[index]! && paid.has(report.paymentId));
}

async function recordPaymentInTransaction(db: Executor, report: PaymentReport): Promise<PaymentOutcome> {
  return db.transaction(async (tx) => {
    const outcome = await decidePayment(tx, report);
    // Every outcome but a refused amount is this notification's effect: a redelivery of it must not act again.
    if (report.webhookId && outcome.kind !== 'amount-mismatch' && outcome.kind !== 'already-handled') {
      await recordWebhookReceived(tx, 'payment', report.webhookId);
    }
    return outcome;
  });
}

async function decidePayment(tx: Executor, report: PaymentReport): Promise<PaymentOutcome> {
  const [order] = await tx.execute<LockedOrder>(sql`
    select o.id, o.status, o.user_id as "userId", o.contact_phone as "contactPhone", o.total_cents as "totalCents",
           (select coalesce(json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents) order by i.sku), '[]')
            from order_items i where i.order_id = o.id) as items
    from orders o where o.id = ${report.orderId}
    for update of o`);
  if (!order) throw new DomainError('NOT_FOUND', `Order ${report.orderId} does not exist.`);
  // Read after the order's lock: a concurrent copy of this notification has committed by now.
  if (report.webhookId) {
    if (await wasWebhookReceived(tx, 'payment', report.webhookId)) return { kind: 'already-handled' };
  }
  // A different amount means a tampered or mis-routed notification: change nothing and let a person look.
  if (report.amountCents !== order.totalCents) return { kind: 'amount-mismatch', expectedCents: order.totalCents };

  const paidAt = report.paidAt.toISOString();
  const paysOrder = canTransition(order.status, 'pay');
  // The payment id decides duplicates, not a read: a read in this statement would use the snapshot taken
  // before the lock wait, and miss the payment a concurrent copy of this notification just committed.
  const [recorded] = await tx.execute<{ new: boolean }>(sql`
    with payment as (
      insert into payments (id, order_id, amount_cents, received_at) values (${report.paymentId}, ${order.id}, ${report.amountCents}, ${paidAt}::timestamptz)
      on conflict (id) do nothing
      returning id
    ), paid as (
      update orders set status = ${ORDER_TRANSITIONS.pay.to}, paid_at = ${paidAt}::timestamptz, payment_id = ${report.paymentId}, updated_at = now()
      where id = ${order.id} and ${paysOrder} and exists (select 1 from payment)
    )
    select exists (select 1 from payment) as new`);
  if (!recorded!.new) return { kind: 'duplicate' };

  if (!paysOrder) {
    const closed = canTransition(order.status, 'payAfterClose');
    const refundId = await startRefund(
      tx,
      order.id,
      {
        paymentId: report.paymentId,
        amountCents: report.amountCents,
        kind: closed ? 'order' : 'extra_payment',
        reason: closed ? 'payment arrived after the order was closed' : `second payment for an order already ${order.status}`,
      },
      closed ? 'payAfterClose' : null,
    );
    return { kind: 'refunding', refundId, because: closed ? 'order-closed' : 'already-paid' };
  }

  await appendEvent(
    tx,
    orderEvent('OrderPaid', {
      orderId: order.id,
      userId: order.userId,
      contactPhone: order.contactPhone,
      paymentId: report.paymentId,
      amountCents: report.amountCents,
      items: order.items,
      paidAt,
    }),
  );
  // Last before the commit: the SKU rows are the hot ones, so they stay locked for the shortest time.
  await confirmStock(tx, order.id);
  return { kind: 'paid' };
}
