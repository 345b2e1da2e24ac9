import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { parseTimestamps } from '@/db/parse-timestamps';
import { traceIdOf } from './trace-context';

export type GroupDeliveryState =
  | { state: 'waiting'; reason: 'not yet in the log' | 'not yet consumed' }
  | { state: 'processed'; processedAt: Date }
  | { state: 'retrying'; attempt: number; nextAttemptAt: Date; lastError: string | null; errorClass: string | null; replayOf: number | null }
  | { state: 'dead'; deadLetterId: number; attempts: number; lastError: string | null; deadAt: Date }
  | { state: 'discarded'; deadLetterId: number; discardedBy: string | null; discardedAt: Date | null; discardReason: string | null }
  /** The group does not subscribe to the event (type or topic). */
  | { state: 'not subscribed' };

export interface GroupTrace {
  group: string;
  delivery: GroupDeliveryState;
  /** Every replay of a dead letter of this event in this group, oldest first. */
  replays: { deadLetterId: number; replayedBy: string | null; replayedAt: Date | null }[];
}

export interface TracedEvent {
  id: string;
  topic: string;
  type: string;
  payload: unknown;
  createdAt: Date;
  deliverAt: Date;
  /** Null while the event waits in the outbox (not due yet, or not relayed yet). */
  partition: number | null;
  offset: number | null;
  /** The OpenTelemetry trace the event was appended in (its `traceparent` header); null when it was appended untraced. */
  traceId: string | null;
  groups: GroupTrace[];
}

/** The newest `limit` events with this key (default 500), oldest first, and where each consumer group is with them. */
export async function traceKey(db: Executor, input: { key: string; limit?: number }): Promise<TracedEvent[]> {
  const eventRows = await db.execute<{
    id: string;
    topic: string;
    type: string;
    payload: unknown;
    createdAt: Date;
    deliverAt: Date;
    partition: number | null;
    offset: number | null;
    traceparent: string | null;
  }>(sql`
    select * from (
      select id::text as id, topic, type, payload, created_at as "createdAt", deliver_at as "deliverAt", partition, "offset"::float8 as "offset",
             headers->>'traceparent' as traceparent
      from events where key = ${input.key}
      union all
      select id::text, topic, type, payload, created_at, deliver_at, null, null, headers->>'traceparent'
      from outbox where key = ${input.key}
    ) all_events
    order by "createdAt" desc, id::int8 desc
    limit ${input.limit ?? 500}`);
  const events = parseTimestamps(eventRows, ['createdAt', 'deliverAt']).reverse();
  if (events.length === 0) return [];
  const eventIds = sql.param(events.map((event) => event.id));

  const groups = await db.execute<{ group: string; types: string[] | null; topics: string[] | null }>(sql`
    select "group", types, topics from consumer_groups order by "group"`);
  // Both columns as arrays, so the primary key is probed once per group over the page's event ids;
  // joined to an unnested list instead, the planner hashed it against a scan of every processed mark.
  const processedRows = await db.execute<{ group: string; eventId: string; processedAt: Date }>(sql`
    select p."group", p.event_id::text as "eventId", p.processed_at as "processedAt"
    from processed_events p
    where p."group" = any(array(select "group" from consumer_groups)) and p.event_id = any(${eventIds}::int8[])`);
  const processed = parseTimestamps(processedRows, ['processedAt']);
  const retryRows = await db.execute<{
    group: string;
    eventId: string;
    attempt: number;
    nextAttemptAt: Date;
    lastError: string | null;
    errorClass: string | null;
    replayOf: number | null;
  }>(sql`
    select "group", event_id::text as "eventId", attempt, next_attempt_at as "nextAttemptAt", last_error as "lastError",
           error_class as "errorClass", replay_of::int as "replayOf"
    from retries where event_id = any(${eventIds}::int8[])`);
  const retries = parseTimestamps(retryRows, ['nextAttemptAt']);
  const deadLetterRows = await db.execute<{
    id: number;
    group: string;
    eventId: string;
    status: 'dead' | 'replayed' | 'discarded';
    attempts: number;
    lastError: string | null;
    deadAt: Date;
    replayedBy: string | null;
    replayedAt: Date | null;
    discardedBy: string | null;
    discardedAt: Date | null;
    discardReason: string | null;
  }>(sql`
    select id::int as id, "group", event_id::text as "eventId", status, attempts, last_error as "lastError", dead_at as "deadAt",
           replayed_by as "replayedBy", replayed_at as "replayedAt", discarded_by as "discardedBy", discarded_at as "discardedAt",
           discard_reason as "discardReason"
    from dead_letters where event_id = any(${eventIds}::int8[])
    order by id`);
  const deadLetters = parseTimestamps(deadLetterRows, ['deadAt', 'replayedAt', 'discardedAt']);

  const keyOf = (group: string, eventId: string) => `${group}\u0000${eventId}`;
  const processedBy = new Map(processed.map((row) => [keyOf(row.group, row.eventId), row]));
  const retryBy = new Map(retries.map((row) => [keyOf(row.group, row.eventId), row]));
  const deadLettersBy = new Map<string, (typeof deadLetters)[number][]>();
  for (const row of deadLetters) {
    const key = keyOf(row.group, row.eventId);
    deadLettersBy.set(key, [...(deadLettersBy.get(key) ?? []), row]);
  }

  return events.map(({ traceparent, ...event }) => ({
    ...event,
    traceId: traceIdOf(traceparent),
    groups: groups.map((group) => {
      const key = keyOf(group.group, event.id);
      const letters = deadLettersBy.get(key) ?? [];
      const replays = letters
        .filter((letter) => letter.status === 'replayed')
        .map((letter) => ({ deadLetterId: letter.id, replayedBy: letter.replayedBy, replayedAt: letter.replayedAt }));
      return { group: group.group, delivery: deliveryState(), replays };

      function deliveryState(): GroupDeliveryState {
        const done = processedBy.get(key);
        if (done) return { state: 'processed', processedAt: done.processedAt };
        const retry = retryBy.get(key);
        if (retry) return { state: 'retrying', ...retry };
        const latest = letters[letters.length - 1];
        if (latest?.status === 'dead') {
          return { state: 'dead', deadLetterId: latest.id, attempts: latest.attempts, lastError: latest.lastError, deadAt: latest.deadAt };
        }
        if (latest?.status === 'discarded') {
          const { discardedBy, discardedAt, discardReason } = latest;
          return { state: 'discarded', deadLetterId: latest.id, discardedBy, discardedAt, discardReason };
        }
        const subscribed =
          (!group.types || group.types.includes(event.type)) && (!group.topics || group.topics.includes(event.topic));
        if (!subscribed) return { state: 'not subscribed' };
        if (event.partition === null) return { state: 'waiting', reason: 'not yet in the log' };
        return { state: 'waiting', reason: 'not yet consumed' };
      }
    }),
  }));
}
