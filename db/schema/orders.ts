import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { ORDER_STATUSES, STUCK_STATUSES } from '../../shared/order-status';

export const orderStatusEnum = pgEnum('order_status', ORDER_STATUSES);

/**
 * Where the order's units are in the TCC stock protocol. A SKU's frozen stock is the sum
 * over its FROZEN orders and its sold stock over SOLD ones (see server/orders/stock.ts).
 */
export const stockStateEnum = pgEnum('stock_state', ['FROZEN', 'SOLD', 'RELEASED', 'RESTOCKED']);

export const refundStatusEnum = pgEnum('refund_status', ['PENDING', 'SUCCEEDED', 'FAILED']);

/** `order` refunds the payment that paid the order; `extra_payment` one that arrived for an order already paid. */
export const refundKindEnum = pgEnum('refund_kind', ['order', 'extra_payment']);

export const shipmentStatusEnum = pgEnum('shipment_status', ['ACCEPTED', 'DISPATCHED', 'CANCELLED']);

/**
 * Stock is split into available / frozen / sold, and available + frozen + sold always
 * equals total (conservation). Only `available` is a counter here: it is what an order
 * must be refused on, so it is decremented under the row lock. Frozen and sold are held
 * by the orders themselves (`orders.stock_state`), so confirming a payment's stock as sold
 * does not touch these rows: a few best-selling SKUs would otherwise serialise every payment.
 */
export const skus = pgTable(
  'skus',
  {
    sku: text('sku').primaryKey(),
    name: text('name').notNull(),
    priceCents: integer('price_cents').notNull(),
    total: integer('total').notNull(),
    available: integer('available').notNull(),
  },
  (table) => [
    check('skus_available_non_negative', sql`${table.available} >= 0`),
    check('skus_price_positive', sql`${table.priceCents} > 0`),
  ],
);

export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    contactPhone: text('contact_phone').notNull(),
    status: orderStatusEnum('status').notNull(),
    stockState: stockStateEnum('stock_state').notNull(),
    totalCents: integer('total_cents').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    paymentDeadline: timestamp('payment_deadline', { withTimezone: true }).notNull(),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    paymentId: text('payment_id'),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    closeReason: text('close_reason'),
    refundReason: text('refund_reason'),
    carrier: text('carrier'),
    trackingNumber: text('tracking_number'),
    shippedAt: timestamp('shipped_at', { withTimezone: true }),
  },
  (table) => [
    index('orders_status_updated_idx').on(table.status, table.updatedAt, table.id),
    // Ascending on the search's whole sort key: read backwards, it is exactly `created_at desc, id desc`
    // (a DESC NULLS LAST index is not, and sends newest-first pages to a sort of every order).
    index('orders_user_created_idx').on(table.userId, table.createdAt, table.id),
    index('orders_created_idx').on(table.createdAt, table.id),
    // The stuck view walks only orders in a stage that can get stuck, oldest change first.
    index('orders_stuck_updated_idx')
      .on(table.updatedAt, table.id)
      .where(sql.raw(`status in (${STUCK_STATUSES.map((status) => `'${status}'`).join(', ')})`)),
    // Orders paid per minute on the Overview.
    index('orders_paid_idx').on(table.paidAt).where(sql`${table.paidAt} is not null`),
  ],
);

export const orderItems = pgTable(
  'order_items',
  {
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    sku: text('sku')
      .notNull()
      .references(() => skus.sku),
    quantity: integer('quantity').notNull(),
    unitPriceCents: integer('unit_price_cents').notNull(),
  },
  (table) => [primaryKey({ columns: [table.orderId, table.sku] }), check('order_items_quantity_positive', sql`${table.quantity} > 0`)],
);

/** Payments as the provider reported them; the provider's payment id makes duplicate notifications no-ops. */
export const payments = pgTable(
  'payments',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    amountCents: integer('amount_cents').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('payments_order_idx').on(table.orderId)],
);

export const refunds = pgTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    paymentId: text('payment_id')
      .notNull()
      .references(() => payments.id),
    kind: refundKindEnum('kind').notNull(),
    amountCents: integer('amount_cents').notNull(),
    reason: text('reason').notNull(),
    status: refundStatusEnum('status').notNull().default('PENDING'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // One refund per payment: a payment can never be refunded twice.
  (table) => [uniqueIndex('refunds_payment_idx').on(table.paymentId), index('refunds_order_idx').on(table.orderId)],
);

/** At most one shipment per order (the primary key), which is what a lost WMS response must not break. */
export const shipments = pgTable('shipments', {
  orderId: text('order_id')
    .primaryKey()
    .references(() => orders.id),
  wmsShipmentId: text('wms_shipment_id').notNull(),
  status: shipmentStatusEnum('status').notNull(),
  carrier: text('carrier'),
  trackingNumber: text('tracking_number'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Points ledger: one credit and at most one reversal per order. */
export const pointsLedger = pgTable(
  'points_ledger',
  {
    orderId: text('order_id').notNull(),
    entry: text('entry', { enum: ['credit', 'reversal'] }).notNull(),
    userId: text('user_id').notNull(),
    points: integer('points').notNull(),
    eventId: text('event_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.orderId, table.entry] })],
);

/** One coupon per paid order; revoked when the order is refunded. */
export const coupons = pgTable('coupons', {
  orderId: text('order_id').primaryKey(),
  userId: text('user_id').notNull(),
  code: text('code').notNull(),
  valueCents: integer('value_cents').notNull(),
  issuedAt: timestamp('issued_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

/** SMS sent through the gateway, one per order and kind of message. */
export const smsMessages = pgTable(
  'sms_messages',
  {
    orderId: text('order_id').notNull(),
    kind: text('kind').notNull(),
    phone: text('phone').notNull(),
    gatewayMessageId: text('gateway_message_id').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.orderId, table.kind] })],
);

/** The data team's projection, fed only by events: reports never read the order tables. */
export const salesHourly = pgTable(
  'sales_hourly',
  {
    hour: timestamp('hour', { withTimezone: true }).notNull(),
    sku: text('sku').notNull(),
    ordersPaid: integer('orders_paid').notNull().default(0),
    unitsSold: integer('units_sold').notNull().default(0),
    gmvCents: integer('gmv_cents').notNull().default(0),
    refunds: integer('refunds').notNull().default(0),
    refundedCents: integer('refunded_cents').notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.hour, table.sku] })],
);

/**
 * sales_hourly summed over every SKU, kept by the same statement that adds to it: the report's
 * chart over 30 days reads 720 rows instead of 720 per SKU.
 */
export const salesHourlyTotals = pgTable('sales_hourly_totals', {
  hour: timestamp('hour', { withTimezone: true }).primaryKey(),
  ordersPaid: integer('orders_paid').notNull().default(0),
  unitsSold: integer('units_sold').notNull().default(0),
  gmvCents: bigint('gmv_cents', { mode: 'number' }).notNull().default(0),
  refunds: integer('refunds').notNull().default(0),
  refundedCents: bigint('refunded_cents', { mode: 'number' }).notNull().default(0),
});

/**
 * sales_hourly summed per SKU and UTC day, kept by the same statement: the report's top SKUs
 * over 30 days read whole days here and only the first, partial day hourly.
 */
export const salesDaily = pgTable(
  'sales_daily',
  {
    day: timestamp('day', { withTimezone: true }).notNull(),
    sku: text('sku').notNull(),
    ordersPaid: integer('orders_paid').notNull().default(0),
    unitsSold: integer('units_sold').notNull().default(0),
    gmvCents: bigint('gmv_cents', { mode: 'number' }).notNull().default(0),
    refunds: integer('refunds').notNull().default(0),
    refundedCents: bigint('refunded_cents', { mode: 'number' }).notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.day, table.sku] })],
);

/** Which business facts the projection has counted, so a replayed or re-emitted event is not counted twice. */
export const salesFacts = pgTable(
  'sales_facts',
  {
    orderId: text('order_id').notNull(),
    fact: text('fact', { enum: ['paid', 'refunded'] }).notNull(),
    countedAt: timestamp('counted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.orderId, table.fact] })],
);

export type Order = typeof orders.$inferSelect;
export type OrderItem = typeof orderItems.$inferSelect;
export type { OrderStatus } from '../../shared/order-status';
export type Sku = typeof skus.$inferSelect;
export type Refund = typeof refunds.$inferSelect;
export type Payment = typeof payments.$inferSelect;
export type Shipment = typeof shipments.$inferSelect;
