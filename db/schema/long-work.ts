import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const longWorkKindEnum = pgEnum('long_work_kind', ['dead_letter_replay', 'reconciliation_run', 'offset_reset_redelivery', 'bulk_order_action']);
export const longWorkStateEnum = pgEnum('long_work_state', ['running', 'finished', 'failed']);

export type LongWorkSubject =
  | { deadLetterIds: number[] }
  | { reconciliationRunId: number }
  | { offsetReset: { group: string; ranges: { partition: number; from: number; to: number }[] } }
  | { bulkOrderAction: { action: string; orderIds: string[] } };

/**
 * An operator action that takes more than a moment, and how far it has come. Written when it
 * starts and then a few times a second at most (never once per row it handles), so the screen
 * that started it, and the Overview, can show it live and after a reload.
 */
export const longWork = pgTable(
  'long_work',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: longWorkKindEnum('kind').notNull(),
    /** The action in words, as the screens show it: "Replay 120 dead letters (group = notifications)". */
    label: text('label').notNull(),
    /** The console path of the screen it was started from, where its progress is shown. */
    startedFrom: text('started_from').notNull(),
    startedBy: text('started_by').notNull(),
    reason: text('reason').notNull(),
    total: integer('total').notNull(),
    done: integer('done').notNull().default(0),
    failures: integer('failures').notNull().default(0),
    state: longWorkStateEnum('state').notNull().default('running'),
    /** What the work acts on: a replay's dead letters or a reset's ranges (which the worker follows), a reconciliation's run, a bulk action's orders. */
    subject: jsonb('subject').$type<LongWorkSubject>().notNull(),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [
    index('long_work_running_idx').on(table.startedAt).where(sql`${table.state} = 'running'`),
    index('long_work_started_from_idx').on(table.startedFrom, table.startedAt.desc()),
  ],
);

export type LongWork = typeof longWork.$inferSelect;
export type LongWorkKind = (typeof longWorkKindEnum.enumValues)[number];
