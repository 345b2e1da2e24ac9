import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { API_TOKEN_SCOPES } from '../../shared/api-token-scopes';

export const reconciliationRunStatusEnum = pgEnum('reconciliation_run_status', ['running', 'succeeded', 'failed']);
export const reconciliationDiffStatusEnum = pgEnum('reconciliation_diff_status', ['open', 'auto_fixed', 'resolved', 'ignored']);

export interface ReconciliationCounts {
  /** Orders compared with the third parties. */
  checked: number;
  /** Diffs found this run, by kind (new and still-open ones). */
  byKind: Record<string, number>;
  opened: number;
  autoFixed: number;
  /** Open diffs from earlier runs that no longer differ. */
  cleared: number;
  /** Orders whose third party could not be asked (timeouts, errors); they are checked next run. */
  unreachable: number;
}

/** One reconciliation run: who or what started it, the window of order changes it looked at, and what it found. */
export const reconciliationRuns = pgTable(
  'reconciliation_runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    trigger: text('trigger', { enum: ['schedule', 'manual'] }).notNull(),
    startedBy: text('started_by').notNull(),
    /** False for a report-only run: fixes are left for a person to apply. */
    autoFix: boolean('auto_fix').notNull().default(true),
    windowFrom: timestamp('window_from', { withTimezone: true }).notNull(),
    windowTo: timestamp('window_to', { withTimezone: true }).notNull(),
    status: reconciliationRunStatusEnum('status').notNull().default('running'),
    counts: jsonb('counts').$type<ReconciliationCounts>(),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    durationMs: integer('duration_ms'),
  },
  (table) => [index('reconciliation_runs_started_idx').on(table.startedAt.desc())],
);

/**
 * A difference between our records and a third party's. `subject` names what differs inside
 * the order (a payment id, a refund id, 'shipment'), so one order can have several diffs of a
 * kind. While a diff is open or ignored, finding it again only bumps `lastSeenAt`.
 */
export const reconciliationDiffs = pgTable(
  'reconciliation_diffs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: bigint('run_id', { mode: 'number' }).notNull(),
    lastRunId: bigint('last_run_id', { mode: 'number' }).notNull(),
    kind: text('kind').notNull(),
    orderId: text('order_id').notNull(),
    subject: text('subject').notNull(),
    ours: jsonb('ours').$type<Record<string, unknown>>().notNull(),
    theirs: jsonb('theirs').$type<Record<string, unknown>>().notNull(),
    /** The certain fix, when there is one ('apply_payment', 'repush_shipment', 'cancel_at_wms', 'settle_refund'). */
    fix: text('fix'),
    summary: text('summary').notNull(),
    status: reconciliationDiffStatusEnum('status').notNull().default('open'),
    seenCount: integer('seen_count').notNull().default(1),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedBy: text('resolved_by'),
    resolution: text('resolution'),
  },
  (table) => [
    uniqueIndex('reconciliation_diffs_live_idx').on(table.kind, table.orderId, table.subject).where(sql`${table.status} in ('open', 'ignored')`),
    index('reconciliation_diffs_status_idx').on(table.status, table.id.desc()),
    index('reconciliation_diffs_kind_idx').on(table.kind, table.status, table.id.desc()),
    index('reconciliation_diffs_order_idx').on(table.orderId),
  ],
);

/**
 * Background jobs that must run in one process at a time, on a schedule: a process runs the
 * job only after taking the lease, and the next run is due `every` after the last start.
 */
export const scheduledJobs = pgTable('scheduled_jobs', {
  job: text('job').primaryKey(),
  leaseOwner: text('lease_owner'),
  leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
  lastStartedAt: timestamp('last_started_at', { withTimezone: true }),
  lastFinishedAt: timestamp('last_finished_at', { withTimezone: true }),
  lastError: text('last_error'),
});

/** Bearer tokens for the order API's services (storefront, data feed), each with its scopes. Only the SHA-256 of a token is stored; the token is shown once. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** The first characters of the token, so an admin can tell tokens apart. */
    prefix: text('prefix').notNull(),
    scopes: text('scopes', { enum: API_TOKEN_SCOPES }).array().notNull().default(['feed:read']),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedBy: text('revoked_by'),
  },
  (table) => [uniqueIndex('api_tokens_hash_idx').on(table.tokenHash)],
);

export type ReconciliationRun = typeof reconciliationRuns.$inferSelect;
export type ReconciliationDiff = typeof reconciliationDiffs.$inferSelect;
export type ReconciliationDiffStatus = (typeof reconciliationDiffStatusEnum.enumValues)[number];
export type ApiToken = typeof apiTokens.$inferSelect;
