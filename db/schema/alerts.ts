import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const alertSeverityEnum = pgEnum('alert_severity', ['info', 'warning', 'critical']);
export const alertStatusEnum = pgEnum('alert_status', ['open', 'acknowledged', 'resolved']);

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
export type AlertSeverity = (typeof alertSeverityEnum.enumValues)[number];
export type AlertStatus = (typeof alertStatusEnum.enumValues)[number];
