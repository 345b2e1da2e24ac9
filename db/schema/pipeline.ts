import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/**
 * Events appended by producers inside their own transactions, waiting for the relay.
 * Rows are deleted when the relay moves them into the log, so the table stays small
 * except for delayed events waiting for their `deliverAt`.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    topic: text('topic').notNull(),
    key: text('key').notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * Defaults to the insert time, not the transaction start: producers of one key are
     * serialised by the aggregate lock, so their insert times follow commit order and the
     * relay, which moves rows in `deliverAt` order, keeps per-key order.
     */
    deliverAt: timestamp('deliver_at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
  },
  (table) => [index('outbox_deliver_at_idx').on(table.deliverAt, table.id), index('outbox_key_idx').on(table.key)],
);

/** One row per log partition: the end of the log (the offset the next event gets). */
export const logPartitions = pgTable('log_partitions', {
  partition: integer('partition').primaryKey(),
  nextOffset: bigint('next_offset', { mode: 'number' }).notNull().default(0),
});

/**
 * The partitioned log. `id` is the outbox id, stable for the event's whole life. When the log
 * runs on NATS JetStream, the stream delivers and these rows are the relayed outbox rows kept for
 * retries, dead letters, the key trace and republishing.
 */
export const events = pgTable(
  'events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey(),
    topic: text('topic').notNull(),
    key: text('key').notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    headers: jsonb('headers').$type<Record<string, string>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    deliverAt: timestamp('deliver_at', { withTimezone: true }).notNull(),
    loggedAt: timestamp('logged_at', { withTimezone: true }).notNull().defaultNow(),
    partition: integer('partition').notNull(),
    offset: bigint('offset', { mode: 'number' }).notNull(),
    /**
     * Where the event sits in the NATS JetStream stream when the log runs on NATS (null on the
     * PostgreSQL log): a consumer taking over a partition starts reading at the sequence of the
     * event at its committed offset.
     */
    streamSequence: bigint('stream_sequence', { mode: 'number' }),
  },
  (table) => [
    uniqueIndex('events_partition_offset_idx').on(table.partition, table.offset),
    index('events_key_idx').on(table.key, table.id),
    index('events_logged_at_idx').on(table.loggedAt),
  ],
);

/** A consumer group as last registered by a worker, plus operator state. */
export const consumerGroups = pgTable('consumer_groups', {
  group: text('group').primaryKey(),
  /** Null means every type. */
  types: text('types').array(),
  topics: text('topics').array(),
  maxAttempts: integer('max_attempts').notNull(),
  paused: boolean('paused').notNull().default(false),
  /** When and by whom `paused` last changed (pause or resume). */
  pausedAt: timestamp('paused_at', { withTimezone: true }),
  pausedBy: text('paused_by'),
  offsetsResetAt: timestamp('offsets_reset_at', { withTimezone: true }),
  offsetsResetBy: text('offsets_reset_by'),
  registeredAt: timestamp('registered_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Committed offset (the next offset to read) and lease of one partition for one group.
 * `handledCount` only grows; throughput is its rate of change in the lag samples.
 */
export const consumerOffsets = pgTable(
  'consumer_offsets',
  {
    group: text('group').notNull(),
    partition: integer('partition').notNull(),
    committedOffset: bigint('committed_offset', { mode: 'number' }).notNull().default(0),
    handledCount: bigint('handled_count', { mode: 'number' }).notNull().default(0),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    committedAt: timestamp('committed_at', { withTimezone: true }),
  },
  (table) => [primaryKey({ columns: [table.group, table.partition] })],
);

/** Live workers per group; partitions are spread over the ones with a fresh heartbeat. */
export const consumerWorkers = pgTable(
  'consumer_workers',
  {
    group: text('group').notNull(),
    workerId: text('worker_id').notNull(),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.group, table.workerId] })],
);

/** Written in the same transaction as the handler's effects: the exactly-once guard. */
export const processedEvents = pgTable(
  'processed_events',
  {
    group: text('group').notNull(),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.group, table.eventId] })],
);

export interface AttemptError {
  attempt: number;
  at: string;
  errorClass: string;
  message: string;
}

/**
 * Deliveries that failed and wait for another attempt, out of partition order.
 * `attempt` counts the attempts made so far. A replayed dead letter is a new row here
 * with `replayOf` pointing at the dead letter.
 */
export const retries = pgTable(
  'retries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    group: text('group').notNull(),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    attempt: integer('attempt').notNull(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
    lastError: text('last_error'),
    errorClass: text('error_class'),
    errors: jsonb('errors').$type<AttemptError[]>().notNull().default([]),
    replayOf: bigint('replay_of', { mode: 'number' }),
    lockedBy: text('locked_by'),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('retries_group_event_idx').on(table.group, table.eventId),
    index('retries_due_idx').on(table.group, table.nextAttemptAt),
    index('retries_event_idx').on(table.eventId),
    // The Overview and Third parties: attempts that failed in the last minutes, and deliveries at a high attempt.
    index('retries_updated_idx').on(table.updatedAt),
    index('retries_attempt_idx').on(table.attempt, table.group),
  ],
);

export const deadLetterStatusEnum = pgEnum('dead_letter_status', ['dead', 'replayed', 'discarded']);

/** Deliveries that exhausted their attempts. Never deleted: replays and discards change status. */
export const deadLetters = pgTable(
  'dead_letters',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    group: text('group').notNull(),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    attempts: integer('attempts').notNull(),
    lastError: text('last_error'),
    errorClass: text('error_class'),
    errors: jsonb('errors').$type<AttemptError[]>().notNull(),
    /** The dead letter whose replay died again, if any. */
    replayOf: bigint('replay_of', { mode: 'number' }),
    status: deadLetterStatusEnum('status').notNull().default('dead'),
    deadAt: timestamp('dead_at', { withTimezone: true }).notNull().defaultNow(),
    replayedAt: timestamp('replayed_at', { withTimezone: true }),
    replayedBy: text('replayed_by'),
    /** Set when an operator moved the retry here before its attempts ran out. */
    givenUpBy: text('given_up_by'),
    giveUpReason: text('give_up_reason'),
    discardedAt: timestamp('discarded_at', { withTimezone: true }),
    discardedBy: text('discarded_by'),
    discardReason: text('discard_reason'),
  },
  (table) => [
    index('dead_letters_group_idx').on(table.group, table.id),
    index('dead_letters_status_idx').on(table.status, table.id),
    index('dead_letters_event_idx').on(table.eventId),
    // Dead counts per group on every screen's nav and the Overview, read from the index alone.
    index('dead_letters_dead_group_idx').on(table.group).where(sql`${table.status} = 'dead'`),
    // Third parties' error rates: letters that died in the last minutes.
    index('dead_letters_dead_at_idx').on(table.deadAt),
  ],
);

/** Lag per group sampled every few seconds for charts; rows older than a day are pruned. */
export const lagSamples = pgTable(
  'lag_samples',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sampledAt: timestamp('sampled_at', { withTimezone: true }).notNull().defaultNow(),
    group: text('group').notNull(),
    lag: bigint('lag', { mode: 'number' }).notNull(),
    oldestUnconsumedAgeMs: bigint('oldest_unconsumed_age_ms', { mode: 'number' }),
    handledCount: bigint('handled_count', { mode: 'number' }).notNull(),
  },
  (table) => [index('lag_samples_group_at_idx').on(table.group, table.sampledAt), index('lag_samples_at_idx').on(table.sampledAt)],
);

/**
 * lag_samples summarised per minute and group (the highest lag and the oldest age seen in it),
 * kept by the statement that takes the samples: the lag chart over hours reads a row a minute
 * instead of twelve.
 */
export const lagMinutes = pgTable(
  'lag_minutes',
  {
    minute: timestamp('minute', { withTimezone: true }).notNull(),
    group: text('group').notNull(),
    lag: bigint('lag', { mode: 'number' }).notNull(),
    oldestUnconsumedAgeMs: bigint('oldest_unconsumed_age_ms', { mode: 'number' }),
  },
  (table) => [primaryKey({ columns: [table.minute, table.group] })],
);

export type OutboxRow = typeof outbox.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type RetryRow = typeof retries.$inferSelect;
export type DeadLetterRow = typeof deadLetters.$inferSelect;
export type DeadLetterStatus = (typeof deadLetterStatusEnum.enumValues)[number];
export type LagSample = typeof lagSamples.$inferSelect;
