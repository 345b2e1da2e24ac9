import { sql, type SQL } from 'drizzle-orm';

/**
 * `appendEvents` for a producer that writes its rows and appends in one statement, for a
 * hot path where every round trip counts: an INSERT ... SELECT into the outbox, to be used
 * as a data-modifying CTE whose rows come from the producer's own CTEs (one event per row
 * of `from`). The statement is its own transaction; once it has returned (committed), the
 * producer calls `wakeRelayAfterCommit` (relay-wake-up.ts) if it appended anything. Nothing
 * here checks the payload against its type's schema: the producer's tests must.
 *
 * `headers`, a jsonb expression over `from` (null for none), is where a traced producer puts
 * each row's append span (`startAppendSpan`), as `appendEvents` does for its callers.
 */
export function appendEventsFrom(input: { topic: string; type: string; key: SQL; payload: SQL; headers?: SQL; from: SQL }): SQL {
  return sql`
    insert into outbox (topic, key, type, payload, headers, deliver_at)
    select ${input.topic}, ${input.key}, ${input.type}, ${input.payload}, coalesce(${input.headers ?? sql`null`}, '{}')::jsonb, clock_timestamp() from ${input.from}
    returning id`;
}
