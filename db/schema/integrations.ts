import { sql } from 'drizzle-orm';
import { SIMULATOR_NAMES } from '../../shared/simulators';
import { check, doublePrecision, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Fault injection for the built-in third-party simulators. Stored in the database so that
 * every process serving a simulator (console, workers, tests) sees the same settings.
 */
export const simulatorSettings = pgTable(
  'simulator_settings',
  {
    simulator: text('simulator', { enum: SIMULATOR_NAMES }).primaryKey(),
    latencyMs: integer('latency_ms').notNull().default(0),
    jitterMs: integer('jitter_ms').notNull().default(0),
    /** Answer 503 without doing anything. */
    failureRate: doublePrecision('failure_rate').notNull().default(0),
    /** Hang past any sane client timeout without doing anything. */
    timeoutRate: doublePrecision('timeout_rate').notNull().default(0),
    /** Do the work, then answer 502 as if the response was lost on the way back. */
    lostResponseRate: doublePrecision('lost_response_rate').notNull().default(0),
    /** Refuse with a business error (422): WMS rejects the shipment, provider rejects the refund. */
    rejectRate: doublePrecision('reject_rate').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check(
      'simulator_settings_rates',
      sql`${table.failureRate} between 0 and 1 and ${table.timeoutRate} between 0 and 1 and ${table.lostResponseRate} between 0 and 1 and ${table.rejectRate} between 0 and 1`,
    ),
    check('simulator_settings_latency', sql`${table.latencyMs} >= 0 and ${table.jitterMs} >= 0`),
  ],
);

/** Payments held by the payment provider simulator, with its notification redelivery schedule. */
export const simPayments = pgTable(
  'sim_payments',
  {
    id: text('id').primaryKey(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    orderId: text('order_id').notNull(),
    amountCents: integer('amount_cents').notNull(),
    refundedCents: integer('refunded_cents').notNull().default(0),
    notifyUrl: text('notify_url').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    notifyAttempts: integer('notify_attempts').notNull().default(0),
    /** Null once the merchant acknowledged a notification. */
    nextNotifyAt: timestamp('next_notify_at', { withTimezone: true }),
    notifiedAt: timestamp('notified_at', { withTimezone: true }),
    lastNotifyError: text('last_notify_error'),
    /** Set when redelivery stopped without an acknowledgement: the schedule ran out. */
    notifyGivenUpAt: timestamp('notify_given_up_at', { withTimezone: true }),
  },
  (table) => [index('sim_payments_due_idx').on(table.nextNotifyAt).where(sql`${table.nextNotifyAt} is not null`), index('sim_payments_order_idx').on(table.orderId)],
);

export const simRefunds = pgTable('sim_refunds', {
  id: text('id').primaryKey(),
  paymentId: text('payment_id').notNull(),
  amountCents: integer('amount_cents').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Shipments held by the WMS simulator; one per order, whatever the number of pushes. */
export const simShipments = pgTable(
  'sim_shipments',
  {
    orderId: text('order_id').primaryKey(),
    id: text('id').notNull().unique(),
    status: text('status', { enum: ['ACCEPTED', 'DISPATCHED', 'CANCELLED'] }).notNull(),
    items: text('items').notNull(),
    callbackUrl: text('callback_url').notNull(),
    pushes: integer('pushes').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    dispatchAt: timestamp('dispatch_at', { withTimezone: true }).notNull(),
    carrier: text('carrier'),
    trackingNumber: text('tracking_number'),
    callbackAttempts: integer('callback_attempts').notNull().default(0),
    /** Null once the merchant acknowledged the dispatch callback (or the shipment was cancelled). */
    nextCallbackAt: timestamp('next_callback_at', { withTimezone: true }),
    lastCallbackError: text('last_callback_error'),
    /** Set when redelivery stopped without an acknowledgement: the schedule ran out. */
    callbackGivenUpAt: timestamp('callback_given_up_at', { withTimezone: true }),
  },
  (table) => [index('sim_shipments_due_idx').on(table.nextCallbackAt).where(sql`${table.nextCallbackAt} is not null`)],
);

export const simWaybills = pgTable('sim_waybills', {
  trackingNumber: text('tracking_number').primaryKey(),
  carrier: text('carrier').notNull(),
  shipmentId: text('shipment_id').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const simSmsMessages = pgTable('sim_sms_messages', {
  idempotencyKey: text('idempotency_key').primaryKey(),
  id: text('id').notNull(),
  phone: text('phone').notNull(),
  text: text('text').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Webhooks we acted on, by their sender's `webhook-id` (the same on every redelivery of one
 * message): a replay of one is answered as already handled without acting again.
 */
export const receivedWebhooks = pgTable(
  'received_webhooks',
  {
    sender: text('sender', { enum: ['payment', 'wms'] }).notNull(),
    webhookId: text('webhook_id').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.sender, table.webhookId] }), index('received_webhooks_received_at_idx').on(table.receivedAt)],
);

export type { SimulatorName } from '../../shared/simulators';
export type SimulatorSettings = typeof simulatorSettings.$inferSelect;

/**
 * Calls made to each third party, counted per ten seconds by every process that makes them
 * (each adds its counts to the slot's row), retries and replays included: the error rate the
 * Overview and the Third parties screen show comes from here, so it follows the calls.
 */
export const thirdPartyCalls = pgTable(
  'third_party_calls',
  {
    integration: text('integration', { enum: SIMULATOR_NAMES }).notNull(),
    /** The start of the ten seconds the calls were made in. */
    slot: timestamp('slot', { withTimezone: true }).notNull(),
    successes: integer('successes').notNull().default(0),
    failures: integer('failures').notNull().default(0),
    lastError: text('last_error'),
  },
  (table) => [primaryKey({ columns: [table.integration, table.slot] }), index('third_party_calls_slot_idx').on(table.slot)],
);
