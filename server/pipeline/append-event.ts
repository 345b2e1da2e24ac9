import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { relayWakeUp } from './relay-wake-up';
import { startAppendSpan, withTraceHeaders, type AppendSpan } from './trace-context';
import type { AppendEventInput } from './types';

/**
 * Appends events to the outbox inside the caller's transaction: they exist if and only if
 * that transaction commits, and the relay's wake-up (relay-wake-up.ts) reaches it only at commit.
 *
 * Per-key order: events with one key are delivered in the order of their outbox ids, and
 * ids are drawn at insert time, not at commit. So a producer must lock the aggregate row
 * (e.g. `select ... for update` on the order) before appending, which makes the ids of one
 * key follow the commit order of its transactions.
 *
 * Appended while a span records, the events carry the append span's trace context in their
 * headers (trace-context.ts).
 */
export async function appendEvents(tx: Executor, inputs: readonly AppendEventInput[]): Promise<{ id: string }[]> {
  if (inputs.length === 0) return [];
  const append = startAppendSpan(inputs);
  try {
    const ids = await insertOutboxRows(tx, inputs, append);
    append?.end({ appended: ids.length });
    return ids;
  } catch (error) {
    append?.end({ error });
    throw error;
  }
}

async function insertOutboxRows(tx: Executor, inputs: readonly AppendEventInput[], append: AppendSpan | null): Promise<{ id: string }[]> {
  // One statement for rows and wake-up: this is every producer's hot path. Identical
  // notifications within one transaction are folded into one by PostgreSQL.
  const rows = await tx.execute<{ id: string }>(sql`
    with appended as (${outboxInsert(inputs, append, sql`true`)})
    select id::text as id, ${relayWakeUp()} from appended order by appended.id`);
  // Ids are drawn in input order, so ascending ids line up with the inputs. `appended.id`, the
  // number: a bare `order by id` sorts the text output column, putting 10 before 9.
  return rows.map((row) => ({ id: row.id }));
}

/** The outbox rows of `inputs`, in input order, inserted only if `when` (a boolean SQL expression) holds. */
function outboxInsert(inputs: readonly AppendEventInput[], append: AppendSpan | null, when: SQL): SQL {
  return sql`
      insert into outbox (topic, key, type, payload, headers, deliver_at)
      select e.topic, e.key, e.type, e.payload, e.headers, coalesce(nullif(e.deliver_at, '')::timestamptz, clock_timestamp())
      from unnest(
        ${sql.param(inputs.map((input) => input.topic))}::text[],
        ${sql.param(inputs.map((input) => input.key))}::text[],
        ${sql.param(inputs.map((input) => input.type))}::text[],
        ${sql.param(inputs.map((input) => JSON.stringify(input.payload ?? null)))}::jsonb[],
        ${sql.param(inputs.map((input) => JSON.stringify(withTraceHeaders(input.headers, append) ?? {})))}::jsonb[],
        -- as text, '' for none: postgres.js cannot bind a timestamptz[] parameter
        ${sql.param(inputs.map((input) => input.deliverAt?.toISOString() ?? ''))}::text[]
      ) with ordinality as e(topic, key, type, payload, headers, deliver_at, position)
      where ${when}
      order by e.position
      returning id`;
}

/**
 * `appendEvents` as a data-modifying CTE of a producer's own statement, for a hot path that
 * decides and appends in one statement (its own transaction, so that no row it locks waits
 * for a client round trip): the events are appended only if `when` holds, a boolean SQL
 * expression over the statement's other CTEs. The caller ends `append` (from
 * `startAppendSpan`) once the statement has answered, and calls `wakeRelayAfterCommit` if it
 * appended. Per-key order as for `appendEvents`: the statement must lock, or insert, the row
 * of each key it appends for.
 */
export function appendEventsInStatement(inputs: readonly AppendEventInput[], options: { when: SQL; append: AppendSpan | null }): SQL {
  return outboxInsert(inputs, options.append, options.when);
}

export async function appendEvent(tx: Executor, input: AppendEventInput): Promise<{ id: string }> {
  const [row] = await appendEvents(tx, [input]);
  return row!;
}
