import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { parseTimestamps } from '@/db/parse-timestamps';

/**
 * Where one consumer group is with one event: `pending` (not handled yet, in the outbox
 * or the log), `processed`, `retrying` (waiting for another attempt), `dead` (a dead
 * letter nobody replayed yet) or `discarded` (an operator dropped the dead letter).
 */
export type DeliveryState = 'pending' | 'processed' | 'retrying' | 'dead' | 'discarded';

type DeliveryOf = {
  group: string;
  eventId: string;
  topic: string;
  key: string;
  type: string;
};

export type Delivery = DeliveryOf &
  (
    | { state: 'pending'; inLog: boolean }
    | { state: 'processed'; processedAt: Date }
    | { state: 'retrying'; retryId: number; attempt: number; nextAttemptAt: Date; lastError: string | null; running: boolean }
    | { state: 'dead'; deadLetterId: number; attempts: number; lastError: string | null; deadAt: Date }
    | { state: 'discarded'; deadLetterId: number; discardedAt: Date | null }
  );

export interface DeliveryFilter {
  /** Events with these keys. Required for `pending` and `processed`, which are read per key. */
  keys?: readonly string[];
  type?: string;
  topic?: string;
  group?: string;
  /** Default: every state when keys are given, else `retrying` and `dead`. */
  states?: readonly DeliveryState[];
  /** Newest first, at most this many (default 500). */
  limit?: number;
}

type DeliveryRow = DeliveryOf & {
  state: DeliveryState;
  inLog: boolean;
  processedAt: Date | null;
  retryId: number | null;
  attempt: number | null;
  nextAttemptAt: Date | null;
  lastError: string | null;
  running: boolean;
  deadLetterId: number | null;
  attempts: number | null;
  deadAt: Date | null;
  discardedAt: Date | null;
};

const FAILING: readonly DeliveryState[] = ['retrying', 'dead'];

/**
 * The deliveries of the events matching the filter, one per (subscribed group, event),
 * newest event first. With keys, every state: the events come from events_key_idx and
 * outbox_key_idx, each group's mark, retry and latest dead letter from their primary or
 * event indexes. Without keys only `retrying` and `dead` can be asked for: those start from
 * the retries and dead_letters tables, which hold exceptions, not traffic.
 */
export async function listDeliveries(db: Executor, filter: DeliveryFilter): Promise<Delivery[]> {
  const keyed = filter.keys !== undefined;
  const states = filter.states ?? (keyed ? undefined : FAILING);
  if (!keyed && states!.some((state) => !FAILING.includes(state) && state !== 'discarded')) {
    throw new Error('listDeliveries: pending and processed deliveries are read per key; pass keys');
  }
  if (keyed && filter.keys!.length === 0) return [];
  const rows = await db.execute<DeliveryRow>(keyed ? keyedDeliveries(filter, states) : failingDeliveries(filter, states!));
  return parseTimestamps(rows, ['processedAt', 'nextAttemptAt', 'deadAt', 'discardedAt']).map(toDelivery);
}

function eventConditions(filter: DeliveryFilter, alias: string): SQL {
  const e = sql.raw(alias);
  const conditions = [sql`true`];
  if (filter.type) conditions.push(sql`${e}.type = ${filter.type}`);
  if (filter.topic) conditions.push(sql`${e}.topic = ${filter.topic}`);
  return sql.join(conditions, sql` and `);
}

function stateCondition(states: readonly DeliveryState[] | undefined): SQL {
  return states ? sql`state = any(${sql.param([...states])}::text[])` : sql`true`;
}

function keyedDeliveries(filter: DeliveryFilter, states: readonly DeliveryState[] | undefined): SQL {
  const keys = sql.param([...filter.keys!]);
  return sql`
    with keyed as (
      select id, topic, key, type, true as in_log from events e where e.key = any(${keys}::text[]) and ${eventConditions(filter, 'e')}
      union all
      select id, topic, key, type, false from outbox o where o.key = any(${keys}::text[]) and ${eventConditions(filter, 'o')}
    ), deliveries as (
      select g."group", k.id, k.topic, k.key, k.type, k.in_log, p.processed_at, r.id as retry_id, r.attempt, r.next_attempt_at,
             r.last_error as retry_error, coalesce(r.locked_until > now(), false) as running, d.id as dead_letter_id, d.status as dead_status,
             d.attempts, d.last_error as dead_error, d.dead_at, d.discarded_at
      from keyed k
      join consumer_groups g on (g.types is null or k.type = any(g.types)) and (g.topics is null or k.topic = any(g.topics))
      -- Laterals with a limit are not flattened into plain joins, so each looks its row up by both
      -- columns of its unique index; joined plainly, the planner probed processed_events by event_id
      -- alone (a skip scan over every group for each event) and checked the group afterwards.
      left join lateral (
        select p.processed_at from processed_events p where p."group" = g."group" and p.event_id = k.id limit 1
      ) p on true
      left join lateral (
        select r.id, r.attempt, r.next_attempt_at, r.last_error, r.locked_until from retries r
        where r."group" = g."group" and r.event_id = k.id limit 1
      ) r on true
      left join lateral (
        select d.id, d.status, d.attempts, d.last_error, d.dead_at, d.discarded_at from dead_letters d
        where d.event_id = k.id and d."group" = g."group" order by d.id desc limit 1
      ) d on true
      where ${filter.group ?? null}::text is null or g."group" = ${filter.group ?? null}
    ), stated as (
      select *, case when processed_at is not null then 'processed'
                     when retry_id is not null then 'retrying'
                     when dead_status = 'dead' then 'dead'
                     when dead_status = 'discarded' then 'discarded'
                     else 'pending' end as state
      from deliveries
    )
    select "group", id::text as "eventId", topic, key, type, state, in_log as "inLog", processed_at as "processedAt",
           retry_id::int as "retryId", attempt, next_attempt_at as "nextAttemptAt",
           case when state = 'retrying' then retry_error else dead_error end as "lastError", running,
           dead_letter_id::int as "deadLetterId", attempts, dead_at as "deadAt", discarded_at as "discardedAt"
    from stated
    where ${stateCondition(states)}
    order by id desc, "group"
    limit ${filter.limit ?? 500}`;
}

function failingDeliveries(filter: DeliveryFilter, states: readonly DeliveryState[]): SQL {
  const group = filter.group ?? null;
  return sql`
    select * from (
      select r."group", r.event_id::text as "eventId", e.topic, e.key, e.type, 'retrying' as state, true as "inLog",
             null::timestamptz as "processedAt", r.id::int as "retryId", r.attempt, r.next_attempt_at as "nextAttemptAt",
             r.last_error as "lastError", coalesce(r.locked_until > now(), false) as running, null::int as "deadLetterId",
             null::int as attempts, null::timestamptz as "deadAt", null::timestamptz as "discardedAt", r.event_id as event_id
      from retries r join events e on e.id = r.event_id
      where ${'retrying'} = any(${sql.param([...states])}::text[]) and (${group}::text is null or r."group" = ${group})
        and ${eventConditions(filter, 'e')}
      union all
      select d."group", d.event_id::text, e.topic, e.key, e.type, d.status::text, true, null, null, null, null, d.last_error, false,
             d.id::int, d.attempts, d.dead_at, d.discarded_at, d.event_id
      from dead_letters d join events e on e.id = d.event_id
      where d.status::text = any(${sql.param([...states])}::text[]) and (${group}::text is null or d."group" = ${group})
        and ${eventConditions(filter, 'e')}
        -- The latest dead letter of its delivery only: a replay that died again left an older, replayed one.
        and not exists (select 1 from dead_letters later where later."group" = d."group" and later.event_id = d.event_id and later.id > d.id)
        and not exists (select 1 from retries r where r."group" = d."group" and r.event_id = d.event_id)
        and not exists (select 1 from processed_events p where p."group" = d."group" and p.event_id = d.event_id)
    ) failing
    order by event_id desc, "group"
    limit ${filter.limit ?? 500}`;
}

function toDelivery(row: DeliveryRow): Delivery {
  const of = { group: row.group, eventId: row.eventId, topic: row.topic, key: row.key, type: row.type };
  switch (row.state) {
    case 'pending':
      return { ...of, state: 'pending', inLog: row.inLog };
    case 'processed':
      return { ...of, state: 'processed', processedAt: row.processedAt! };
    case 'retrying':
      return {
        ...of,
        state: 'retrying',
        retryId: row.retryId!,
        attempt: row.attempt!,
        nextAttemptAt: row.nextAttemptAt!,
        lastError: row.lastError,
        running: row.running,
      };
    case 'dead':
      return { ...of, state: 'dead', deadLetterId: row.deadLetterId!, attempts: row.attempts!, lastError: row.lastError, deadAt: row.deadAt! };
    case 'discarded':
      return { ...of, state: 'discarded', deadLetterId: row.deadLetterId!, discardedAt: row.discardedAt };
  }
}

/**
 * For a caller's own query: true when an event with the key `key` (an SQL expression, e.g.
 * a column of the caller's row) has a delivery retrying or dead in any group.
 */
export function keyHasFailingDelivery(key: SQL): SQL {
  return sql`exists (
    select 1 from events e
    where e.key = ${key}
      and (exists (select 1 from retries r where r.event_id = e.id) or exists (select 1 from dead_letters d where d.event_id = e.id and d.status = 'dead'))
  )`;
}

/**
 * For a caller's own query: a SELECT of the keys (one column, `key`) whose events on `topic`
 * have a delivery retrying or dead in any group. Starts from the small retries and dead_letters tables.
 */
export function keysWithFailingDeliveries(filter: { topic: string }): SQL {
  return sql`
    select e.key from retries r join events e on e.id = r.event_id where e.topic = ${filter.topic}
    union
    select e.key from dead_letters d join events e on e.id = d.event_id where d.status = 'dead' and e.topic = ${filter.topic}`;
}
