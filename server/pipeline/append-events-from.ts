import { sql, type SQL } from 'drizzle-orm';
import { relayWakeUp } from './relay-wake-up';

/**
 * `appendEvents` for a producer that writes its rows and appends in one statement, for a
 * hot path where every round trip counts: an INSERT ... SELECT into the outbox, to be used
 * as a data-modifying CTE whose rows come from the producer's own CTEs (one event per row
 * of `from`). The statement must also select `notifyAppended` of that CTE so the relay
 * wakes at commit (relay-wake-up.ts). Nothing here checks the payload against its type's schema: the
 * producer's tests must.
 */
export function appendEventsFrom(input: { topic: string; type: string; key: SQL; payload: SQL; from: SQL }): SQL {
  return sql`
    insert into outbox (topic, key, type, payload, headers, deliver_at)
    select ${input.topic}, ${input.key}, ${input.type}, ${input.payload}, '{}'::jsonb, clock_timestamp() from ${input.from}
    returning id`;
}

/** The relay's wake-up, raised once (at commit) if the named CTE appended anything. */
export function notifyAppended(appended: SQL): SQL {
  return sql`(select ${relayWakeUp()} from ${appended} limit 1)`;
}
