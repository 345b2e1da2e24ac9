import { sql } from 'drizzle-orm';
import { bigint, bigserial, doublePrecision, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { roleEnum } from './auth';

export const auditOutcomeEnum = pgEnum('audit_outcome', ['pending', 'ok', 'denied', 'error', 'awaiting_approval']);

/**
 * One row per attempted console mutation, including denied ones. `requestId` makes a
 * mutation idempotent: the same actor sending the same request id acts once.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorId: text('actor_id'),
    actorEmail: text('actor_email'),
    actorRole: roleEnum('actor_role'),
    action: text('action').notNull(),
    target: text('target'),
    reason: text('reason'),
    input: jsonb('input'),
    outcome: auditOutcomeEnum('outcome').notNull(),
    message: text('message'),
    result: jsonb('result'),
    requestId: text('request_id'),
  },
  (table) => [
    // Ascending, read backwards for the log's `at desc, id desc`: a DESC NULLS LAST index does not
    // match that order, and the first page of a million rows became a sort of all of them.
    index('audit_log_at_idx').on(table.at, table.id),
    index('audit_log_actor_idx').on(table.actorEmail, table.at.desc()),
    index('audit_log_action_idx').on(table.action, table.at.desc()),
    index('audit_log_target_idx').on(table.target, table.at, table.id),
    // A failed attempt leaves the set, so the same request may be tried again; a pending or done one may not.
    uniqueIndex('audit_log_request_idx')
      .on(table.actorId, table.requestId)
      .where(sql`${table.requestId} is not null and ${table.outcome} in ('pending', 'ok')`),
  ],
);

export type AuditEntry = typeof auditLog.$inferSelect;

/**
 * Anonymous refused calls per client address and minute: only the first few of a minute are
 * written to audit_log, the rest are counted here, so a flood cannot fill the audit log.
 */
export const anonymousDenials = pgTable(
  'anonymous_denials',
  {
    clientAddress: text('client_address').notNull(),
    minute: timestamp('minute', { withTimezone: true }).notNull(),
    attempts: integer('attempts').notNull(),
  },
  (table) => [primaryKey({ columns: [table.clientAddress, table.minute] })],
);
export type AuditOutcome = (typeof auditOutcomeEnum.enumValues)[number];

export const approvalStatusEnum = pgEnum('approval_status', ['pending', 'executing', 'executed', 'rejected', 'failed', 'expired']);

/**
 * A dangerous action waiting for a second person. It is bound to the exact procedure and
 * input the requester sent (`inputHash`); approving it runs exactly that, as the requester.
 */
export const approvals = pgTable(
  'approvals',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    action: text('action').notNull(),
    summary: text('summary').notNull(),
    input: jsonb('input').notNull(),
    inputHash: text('input_hash').notNull(),
    requiredRole: roleEnum('required_role').notNull(),
    requestedById: text('requested_by_id').notNull(),
    requestedByEmail: text('requested_by_email').notNull(),
    requestedByRole: roleEnum('requested_by_role').notNull(),
    reason: text('reason').notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    /** A request nobody decided by then can no longer be approved (APPROVAL_EXPIRY_HOURS). */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull().default(sql`now() + interval '24 hours'`),
    status: approvalStatusEnum('status').notNull().default('pending'),
    decidedById: text('decided_by_id'),
    decidedByEmail: text('decided_by_email'),
    decisionNote: text('decision_note'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    result: jsonb('result'),
    error: text('error'),
  },
  (table) => [
    index('approvals_status_idx').on(table.status, table.requestedAt.desc()),
    // One open request per requester and exact action: asking twice finds the first request.
    uniqueIndex('approvals_open_request_idx').on(table.requestedById, table.action, table.inputHash).where(sql`${table.status} = 'pending'`),
  ],
);

export type Approval = typeof approvals.$inferSelect;

/**
 * What the scheduled invariant watch found (the checks of `npm run verify`), one row per
 * invariant and subject while it stays violated; resolved when a later run no longer finds it.
 */
export const invariantFindings = pgTable(
  'invariant_findings',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    invariant: text('invariant').notNull(),
    /** An order id or a SKU, as the check names it. */
    subject: text('subject').notNull(),
    /** Set when the subject is an order, so its page can show the finding. */
    orderId: text('order_id'),
    detail: text('detail').notNull(),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('invariant_findings_open_idx').on(table.invariant, table.subject).where(sql`${table.resolvedAt} is null`),
    index('invariant_findings_order_idx').on(table.orderId).where(sql`${table.orderId} is not null`),
    index('invariant_findings_seen_idx').on(table.firstSeenAt.desc()),
  ],
);

export type InvariantFinding = typeof invariantFindings.$inferSelect;

/**
 * The Overview's history: once a minute the worker samples each figure that is a state (open
 * alerts, retrying deliveries, a third party's error rate, …), so each can show the last hour.
 */
export const overviewSamples = pgTable(
  'overview_samples',
  {
    metric: text('metric').notNull(),
    minute: timestamp('minute', { withTimezone: true }).notNull(),
    value: doublePrecision('value'),
  },
  (table) => [primaryKey({ columns: [table.metric, table.minute] }), index('overview_samples_minute_idx').on(table.minute)],
);

/**
 * Request durations per minute and route, as histogram bucket counts (the buckets of
 * conveyor_http_request_duration_seconds): every order-API process adds its own counts to the
 * minute's row, so quantiles over all processes come from the sums.
 */
export const httpLatencyMinutes = pgTable(
  'http_latency_minutes',
  {
    route: text('route').notNull(),
    minute: timestamp('minute', { withTimezone: true }).notNull(),
    /** Requests per bucket (not cumulative), the last one above the highest bound. */
    bucketCounts: bigint('bucket_counts', { mode: 'number' }).array().notNull(),
  },
  (table) => [primaryKey({ columns: [table.route, table.minute] }), index('http_latency_minutes_minute_idx').on(table.minute)],
);
