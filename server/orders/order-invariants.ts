import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { keyHasFailingDelivery } from '@/server/pipeline';
import { SETTLING_STATUSES } from './order-state-machine';
import { skuStock } from './stock';

export interface InvariantViolation {
  invariant: string;
  subject: string;
  /** The subject when it is an order (the stock check's subjects are SKUs). */
  orderId: string | null;
  detail: string;
}

export interface InvariantOptions {
  /**
   * Also compare with the built-in simulators' records (shipments, payments and refunds the
   * "third party" holds); default true. Off when the real third parties are configured,
   * since their records are not in our database.
   */
  simulatorChecks?: boolean;
  /** Orders changed more recently than this are still in flight for the consumers; default 60 s. */
  settleSeconds?: number;
  /** PAID, FULFILLING and REFUNDING orders untouched for longer than this are stuck; default 300 s. */
  stuckAfterSeconds?: number;
}

interface Check {
  invariant: string;
  subject: 'order' | 'sku';
  /** The check reads the simulators' tables. */
  simulators?: true;
  query: (options: Required<InvariantOptions>) => SQL;
}

/** A retry or dead letter for an event of this order explains why it has not moved on. */
const explained = keyHasFailingDelivery(sql`o.id`);

const settled = (options: Required<InvariantOptions>) => sql`o.updated_at < now() - make_interval(secs => ${options.settleSeconds})`;

/**
 * Each check is one query returning (subject, detail) rows, one per violation. They read
 * the order tables directly on purpose: they audit what the consumers produced.
 */
const checks: Check[] = [
  {
    invariant: 'stock is conserved per SKU (available + frozen + sold + held by flash sales = total)',
    subject: 'sku',
    // Frozen and sold are summed from the orders, so a step that moved units twice (or not
    // at all) shows up as an available count that no longer adds up.
    query: () => sql`
      select sku as subject, format('available %s + frozen %s + sold %s + held by sales %s = %s, total is %s', available, frozen, sold, held, available + frozen + sold + held, total) as detail
      from ${skuStock} stock where available + frozen + sold + held <> total`,
  },
  {
    invariant: 'each paid order has exactly one points credit and one coupon',
    subject: 'order',
    query: (options) => sql`
      select o.id as subject,
             format('%s points credit(s), coupon %s', (select count(*) from points_ledger p where p.order_id = o.id and p.entry = 'credit'),
                    case when c.issued_at is null then 'not issued' else 'issued' end) as detail
      from orders o left join coupons c on c.order_id = o.id
      where o.payment_id is not null and ${settled(options)} and not ${explained}
        and ((select count(*) from points_ledger p where p.order_id = o.id and p.entry = 'credit') <> 1 or c.issued_at is null)`,
  },
  {
    invariant: 'a refunded sale has its points and coupon reversed once, and only a refunded sale',
    subject: 'order',
    query: (options) => sql`
      select o.id as subject,
             format('sale refunded: %s; points reversals: %s; coupon revoked: %s', refunded, reversals, revoked) as detail
      from (
        select o.*,
               exists (select 1 from refunds r where r.order_id = o.id and r.payment_id = o.payment_id and r.status = 'SUCCEEDED') as refunded,
               (select count(*) from points_ledger p where p.order_id = o.id and p.entry = 'reversal') as reversals,
               exists (select 1 from coupons c where c.order_id = o.id and c.revoked_at is not null) as revoked
        from orders o
      ) o
      where ${settled(options)} and not ${explained}
        and (case when refunded then reversals <> 1 or not revoked else reversals <> 0 or revoked end)`,
  },
  {
    invariant: 'at most one live shipment per order, and none for stock put back on sale',
    subject: 'order',
    simulators: true,
    query: () => sql`
      select o.id as subject, format('order %s with stock %s, warehouse shipment %s', o.status, o.stock_state, w.status) as detail
      from orders o join sim_shipments w on w.order_id = o.id
      where o.stock_state = 'RESTOCKED' and w.status <> 'CANCELLED'
      union all
      select s.order_id, format('our shipment %s is %s but the warehouse has %s', s.wms_shipment_id, s.status, coalesce(w.id, 'none'))
      from shipments s left join sim_shipments w on w.order_id = s.order_id
      where s.status <> 'CANCELLED' and (w.id is null or w.id <> s.wms_shipment_id)`,
  },
  {
    invariant: 'refunds never exceed payments',
    subject: 'order',
    simulators: true,
    query: () => sql`
      select o.id as subject, format('refunded %s cents of %s cents paid', refunded, paid) as detail
      from orders o
      cross join lateral (select coalesce(sum(amount_cents), 0) as paid from payments p where p.order_id = o.id) p
      cross join lateral (select coalesce(sum(amount_cents), 0) as refunded from refunds r where r.order_id = o.id and r.status = 'SUCCEEDED') r
      where refunded > paid
      union all
      select id, format('the provider refunded %s cents of a %s cents payment', refunded_cents, amount_cents) from sim_payments where refunded_cents > amount_cents`,
  },
  {
    invariant: 'an order shows REFUNDED only after the provider confirmed its refund',
    subject: 'order',
    simulators: true,
    query: () => sql`
      select o.id as subject, 'REFUNDED without a succeeded order refund the provider knows about' as detail
      from orders o
      where o.status = 'REFUNDED' and not exists (
        select 1 from refunds r join sim_refunds pr on pr.id = r.id
        where r.order_id = o.id and r.kind = 'order' and r.status = 'SUCCEEDED')`,
  },
  {
    invariant: 'no order sits in an intermediate state past its deadline without a retry or dead letter explaining it',
    subject: 'order',
    query: (options) => sql`
      select o.id as subject,
             format('%s since %s (%s ago)', o.status, to_char(o.updated_at, 'YYYY-MM-DD HH24:MI:SS'), date_trunc('second', now() - o.updated_at)) as detail
      from orders o
      where not ${explained} and (
        (o.status = 'PENDING_PAYMENT' and o.payment_deadline < now() - make_interval(secs => ${options.settleSeconds}))
        or (o.status in ${SETTLING_STATUSES} and o.updated_at < now() - make_interval(secs => ${options.stuckAfterSeconds}))
      )`,
  },
];

/** Checks the order system's invariants; an empty list means all hold. */
export async function checkOrderInvariants(db: Executor, options: InvariantOptions = {}): Promise<InvariantViolation[]> {
  const resolved = { settleSeconds: options.settleSeconds ?? 60, stuckAfterSeconds: options.stuckAfterSeconds ?? 300, simulatorChecks: options.simulatorChecks ?? true };
  const violations: InvariantViolation[] = [];
  for (const check of checks) {
    if (check.simulators && !resolved.simulatorChecks) continue;
    const rows = await db.execute<{ subject: string; detail: string }>(check.query(resolved));
    violations.push(
      ...rows.map((row) => ({ invariant: check.invariant, subject: row.subject, orderId: check.subject === 'order' ? row.subject : null, detail: row.detail })),
    );
  }
  return violations;
}
