import { sql } from 'drizzle-orm';
import { ALERT_SEVERITIES, ALERT_STATUSES } from '../../shared/alerts';
import { bigint, bigserial, boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const alertSeverityEnum = pgEnum('alert_severity', ALERT_SEVERITIES);
export const alertStatusEnum = pgEnum('alert_status', ALERT_STATUSES);

/**
 * Conditions someone should look at. While an alert with a dedupe key is not resolved,
 * raising it again bumps `count` and `lastSeenAt` instead of adding a row.
 */
export const alerts = pgTable(
  'alerts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    severity: alertSeverityEnum('severity').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    title: text('title').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    status: alertStatusEnum('status').notNull().default('open'),
    count: integer('count').notNull().default(1),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: text('acknowledged_by'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedBy: text('resolved_by'),
    resolution: text('resolution'),
  },
  (table) => [
    uniqueIndex('alerts_open_dedupe_key_idx').on(table.dedupeKey).where(sql`${table.status} <> 'resolved'`),
    index('alerts_status_last_seen_idx').on(table.status, table.lastSeenAt.desc()),
  ],
);

export type Alert = typeof alerts.$inferSelect;
export type { AlertSeverity, AlertStatus } from '../../shared/alerts';

/**
 * Operator settings of the alert rules, one row per rule that was changed (a rule without a
 * row uses its default, see server/ops/alert-rules.ts). A disabled rule raises nothing.
 */
export const alertRules = pgTable('alert_rules', {
  rule: text('rule').primaryKey(),
  enabled: boolean('enabled').notNull().default(true),
  /** Attempts, events or milliseconds, depending on the rule. */
  threshold: integer('threshold'),
  /** How long the condition must hold before the alert opens. */
  forMinutes: integer('for_minutes'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  updatedBy: text('updated_by'),
});

/**
 * Webhook deliveries of newly opened alerts, written in the transaction that opens the
 * alert (an outbox): a crash between opening and posting loses nothing.
 */
export const alertDeliveries = pgTable(
  'alert_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    alertId: bigint('alert_id', { mode: 'number' }).notNull(),
    url: text('url').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    /** Set when the attempts ran out. */
    failedAt: timestamp('failed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('alert_deliveries_due_idx').on(table.nextAttemptAt).where(sql`${table.deliveredAt} is null and ${table.failedAt} is null`),
    index('alert_deliveries_alert_idx').on(table.alertId),
  ],
);

export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AlertDelivery = typeof alertDeliveries.$inferSelect;
