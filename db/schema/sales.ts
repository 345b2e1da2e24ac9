import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { SALE_ATTEMPT_OUTCOMES, SALE_END_REASONS, SALE_STATES } from '../../shared/sales';
import { skus } from './orders';

export const saleStateEnum = pgEnum('sale_state', SALE_STATES);
export const saleEndReasonEnum = pgEnum('sale_end_reason', SALE_END_REASONS);
export const saleAttemptOutcomeEnum = pgEnum('sale_attempt_outcome', SALE_ATTEMPT_OUTCOMES);
/** Where an unpaid sale order's unit went: back to the sale while it ran, or to the SKU's normal stock after it ended. */
export const saleReturnEnum = pgEnum('sale_return', ['sale', 'stock']);

/**
 * A flash sale of one SKU. Its units left the SKU's available stock when it was armed and are
 * held in `sale_shards` until admitted; what is left goes back to the SKU when it ends
 * (`units_returned_at_end`). `highest_buyer_limit` is the highest per-buyer limit it ever
 * had, so a buyer admitted under a limit that was later lowered is not taken for a breach.
 */
export const sales = pgTable(
  'sales',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    sku: text('sku')
      .notNull()
      .references(() => skus.sku),
    unitsArmed: integer('units_armed').notNull(),
    priceCents: integer('price_cents').notNull(),
    perBuyerLimit: integer('per_buyer_limit').notNull(),
    highestBuyerLimit: integer('highest_buyer_limit').notNull(),
    paymentTimeoutMs: integer('payment_timeout_ms').notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    state: saleStateEnum('state').notNull().default('scheduled'),
    endReason: saleEndReasonEnum('end_reason'),
    unitsReturnedAtEnd: integer('units_returned_at_end').notNull().default(0),
    armedBy: text('armed_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (table) => [
    index('sales_created_idx').on(table.createdAt.desc()),
    check('sales_units_positive', sql`${table.unitsArmed} > 0`),
    check('sales_price_positive', sql`${table.priceCents} > 0`),
    check('sales_limit_positive', sql`${table.perBuyerLimit} > 0`),
    check('sales_ends_after_start', sql`${table.endsAt} > ${table.startsAt}`),
  ],
);

/**
 * A sale's units not yet admitted, split over shards so that concurrent admission statements
 * decrement different rows instead of queueing on one.
 */
export const saleShards = pgTable(
  'sale_shards',
  {
    saleId: text('sale_id')
      .notNull()
      .references(() => sales.id),
    shard: integer('shard').notNull(),
    unitsLeft: integer('units_left').notNull(),
  },
  (table) => [primaryKey({ columns: [table.saleId, table.shard] }), check('sale_shards_units_left_non_negative', sql`${table.unitsLeft} >= 0`)],
);

/**
 * Every decided attempt, keyed by the client's attempt id: a retry finds its first outcome here.
 * An admitted attempt holds one unit (from `shard`) until its order exists (`order_id`).
 */
export const saleAttempts = pgTable(
  'sale_attempts',
  {
    // No foreign key to sales: the admission statement reads the sale itself, and a key check per
    // attempt row cost as much as the rest of its insert.
    saleId: text('sale_id').notNull(),
    attemptId: text('attempt_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    contactPhone: text('contact_phone'),
    outcome: saleAttemptOutcomeEnum('outcome').notNull(),
    shard: integer('shard'),
    reservationId: text('reservation_id'),
    paymentDeadline: timestamp('payment_deadline', { withTimezone: true }),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull().defaultNow(),
    orderId: text('order_id'),
    orderCreatedAt: timestamp('order_created_at', { withTimezone: true }),
    returnedTo: saleReturnEnum('returned_to'),
  },
  (table) => [
    // The attempt id first: a batch looks its attempts up by id, and an index led by the sale
    // would let a plan made while the sale was small scan all of its attempts instead.
    primaryKey({ columns: [table.attemptId, table.saleId] }),
    uniqueIndex('sale_attempts_order_idx').on(table.orderId).where(sql`${table.orderId} is not null`),
    // The admitted attempts still waiting for their order: the sale's figures and its reconciliation.
    index('sale_attempts_awaiting_order_idx').on(table.saleId).where(sql`${table.outcome} = 'admitted' and ${table.orderId} is null`),
    index('sale_attempts_admitted_idx').on(table.saleId, table.buyerId).where(sql`${table.outcome} = 'admitted'`),
  ],
);

/** Units admitted per buyer: the per-buyer limit is checked and counted here, under the row's lock. */
export const saleBuyers = pgTable(
  'sale_buyers',
  {
    // No foreign key, as for sale_attempts.
    saleId: text('sale_id').notNull(),
    buyerId: text('buyer_id').notNull(),
    units: integer('units').notNull(),
  },
  // The buyer first, for the same reason as sale_attempts' key.
  (table) => [primaryKey({ columns: [table.buyerId, table.saleId] })],
);

/**
 * Attempts per second by outcome and their decision times (counts per bucket of
 * SALE_DECISION_BUCKETS_MS, plus one above), added by every order-API process.
 */
export const saleAttemptSeconds = pgTable(
  'sale_attempt_seconds',
  {
    saleId: text('sale_id').notNull(),
    second: timestamp('second', { withTimezone: true }).notNull(),
    admitted: integer('admitted').notNull().default(0),
    soldOut: integer('sold_out').notNull().default(0),
    limitReached: integer('limit_reached').notNull().default(0),
    notLive: integer('not_live').notNull().default(0),
    throttled: integer('throttled').notNull().default(0),
    decisionBuckets: bigint('decision_buckets', { mode: 'number' }).array().notNull(),
  },
  (table) => [primaryKey({ columns: [table.saleId, table.second] })],
);

export type Sale = typeof sales.$inferSelect;
export type SaleAttempt = typeof saleAttempts.$inferSelect;
