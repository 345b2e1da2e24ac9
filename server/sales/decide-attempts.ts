import { and, eq, fillPlaceholders, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { companionDatabase, type Database } from '@/db/client';
import { hasErrorCode } from '@/db/error-code';
import { saleAttempts, type SaleAttempt } from '@/db/schema';
import { createGroupCommit, type GroupCommit } from '@/db/group-commit';
import { DomainError } from '@/server/errors';
import { appendEventsFrom, wakeRelayAfterCommit } from '@/server/pipeline';
import type { SaleAttemptOutcome } from '@/shared/sales';
import { SALES_TOPIC } from './events';

export interface AttemptRequest {
  saleId: string;
  /** The client's id for this attempt: a retry with the same id is answered the first outcome. */
  attemptId: string;
  buyerId: string;
  contactPhone?: string;
}

export type AttemptDecision =
  | { outcome: 'admitted'; attemptId: string; reservationId: string; paymentDeadline: Date; orderId: string | null; duplicate: boolean }
  | { outcome: Exclude<SaleAttemptOutcome, 'admitted'>; attemptId: string; duplicate: boolean };

/** An attempt the process had no room to decide: nothing was recorded, and the same attempt sent again is decided as new. */
export interface AttemptShed {
  outcome: 'throttled';
  attemptId: string;
  retryAfterSeconds: number;
}

export interface SaleAdmission {
  decide(request: AttemptRequest): Promise<AttemptDecision | AttemptShed>;
  /** A decided attempt as the buyer polls it (with its order id once the order exists), or null. */
  find(saleId: string, attemptId: string): Promise<RecordedAttempt | null>;
}

export type RecordedAttempt = Pick<SaleAttempt, 'saleId' | 'attemptId' | 'buyerId' | 'outcome' | 'reservationId' | 'paymentDeadline' | 'orderId'>;

/**
 * Statements in flight per order-API process, and attempts per statement. Few in flight, as on
 * the payment path: on two cores more concurrent statements only wait for each other's CPU
 * (and for the same shards), while a queued attempt rides the next statement for free.
 */
const STATEMENTS_IN_FLIGHT = 2;
const ATTEMPTS_PER_STATEMENT = 500;
/** A statement that lost a race (a concurrent first attempt of the same buyer or attempt id, a deadlock) is decided again. */
const RACE_ERRORS = new Set(['23505', '40P01']);
const MAX_RACES = 8;
/** An attempt short of units while other statements held shards is decided again, at most this often. */
const MAX_SHARD_WAITS = 50;
/**
 * After this many such rounds an attempt goes to a statement that waits for the shards instead
 * of skipping them: near the end of a sale, with several order-API processes, the last units can
 * stay in shards other statements hold round after round, and an unlucky attempt would be
 * answered 503 although the units it waited for went, or came back, meanwhile.
 */
const PATIENT_AFTER_WAITS = 3;
/** A statement's place in its sale's ring of shards is drawn below this (SALE_SHARDS is at most 256), then taken modulo the sale's shards. */
const MAX_SHARDS = 256;

type Row = {
  position: number;
  sale_found: boolean;
  outcome: SaleAttemptOutcome | 'retry' | null;
  reservation_id: string | null;
  payment_deadline: string | null;
  order_id: string | null;
  first_buyer_id: string | null;
};

/**
 * The admission statement: decides a batch of attempts on one sale, all or nothing, in one
 * round trip and one commit. For each attempt, in arrival order:
 *
 * - an attempt id already recorded is answered its recorded outcome, and nothing changes;
 * - outside the sale's live window (not started, paused, ended, past its end) → not_live;
 * - a buyer whose admitted units (read under the buyer row's lock, so every process sees the
 *   latest count) plus those earlier in this batch reach the limit → limit_reached;
 * - otherwise the attempt takes one unit from a shard this statement locked, or is sold_out
 *   when no shard has one left. A statement locks only the shards it needs, starting at a random
 *   place in the ring of shards, and skips those another statement holds rather than waiting;
 *   an attempt short only because of them is not answered but decided again ('retry').
 *
 * The same statement decrements the shards, counts the buyers' units, records every decided
 * attempt (admitted ones with a reservation id and payment deadline) and appends
 * SaleAttemptAdmitted for each admitted one. A new buyer's count row is inserted without ON
 * CONFLICT, so two processes admitting one new buyer at once cannot both pass the limit: one
 * fails with a unique violation and its whole batch is decided again.
 */
const decideAttemptsStatement = (shardLock: 'for update skip locked' | 'for update') => new PgDialect({ casing: 'snake_case' }).sqlToQuery(sql`
  with input as (
    select r.attempt_id, r.buyer_id, r.contact_phone, r.position::int as position
    from unnest(${sql.placeholder('attemptIds')}::text[], ${sql.placeholder('buyerIds')}::text[], ${sql.placeholder('contactPhones')}::text[])
      with ordinality as r(attempt_id, buyer_id, contact_phone, position)
  ), sale as (
    select s.id, s.per_buyer_limit, s.payment_timeout_ms,
           (select count(*) from sale_shards sh where sh.sale_id = s.id)::int as shard_count,
           s.state in ('scheduled', 'live') and now() >= s.starts_at and now() < s.ends_at as live
    from sales s where s.id = ${sql.placeholder('saleId')}
  ), existing as (
    select a.attempt_id, a.buyer_id, a.outcome::text as outcome, a.reservation_id, a.payment_deadline, a.order_id
    from sale_attempts a where a.sale_id = ${sql.placeholder('saleId')} and a.attempt_id = any(${sql.placeholder('attemptIds')}::text[])
  ), fresh as (
    select i.* from input i where not exists (select 1 from existing e where e.attempt_id = i.attempt_id)
  ), buyers as materialized (
    select b.buyer_id, b.units from sale_buyers b
    -- Looked up as an array, so both columns of the primary key are the index condition however
    -- few buyers the plan was made for: a join here scanned every buyer of the sale.
    where b.sale_id = ${sql.placeholder('saleId')} and b.buyer_id = any(array(select f.buyer_id from fresh f, sale where sale.live))
    order by b.buyer_id
    for update
  ), eligible as materialized (
    select ranked.*, row_number() over (order by ranked.position) as unit_no
    from (
      select f.*, coalesce(b.units, 0) + row_number() over (partition by f.buyer_id order by f.position) as buyer_units
      from fresh f left join buyers b on b.buyer_id = f.buyer_id
    ) ranked, sale
    where sale.live and ranked.buyer_units <= sale.per_buyer_limit
  ), needed as (
    -- How many shards, from this statement's own place in the ring (its offset, random per
    -- statement), hold units enough for the eligible attempts, as last committed; one spare
    -- for a shard another statement drains meanwhile.
    select count(*) filter (where before < (select count(*) from eligible)) + 1 as shards
    from (
      select sum(sh.units_left) over (order by (sh.shard + ${sql.placeholder('offset')}::int) % (select shard_count from sale)) - sh.units_left as before
      from sale_shards sh where sh.sale_id = ${sql.placeholder('saleId')} and sh.units_left > 0
    ) ring
  ), shards as materialized (
    select sh.shard, sh.units_left from sale_shards sh
    where sh.sale_id = ${sql.placeholder('saleId')} and sh.units_left > 0 and exists (select 1 from eligible)
    order by (sh.shard + ${sql.placeholder('offset')}::int) % (select shard_count from sale)
    ${sql.raw(shardLock)}
    limit (select shards from needed)
  ), allocated as (
    select e.attempt_id, g.shard
    from eligible e join (select shard, units_left, sum(units_left) over (order by (shard + ${sql.placeholder('offset')}::int) % (select shard_count from sale)) as upto from shards) g
      on e.unit_no > g.upto - g.units_left and e.unit_no <= g.upto
  ), held_elsewhere as (
    select exists (
      select 1 from sale_shards sh
      where sh.sale_id = ${sql.placeholder('saleId')} and sh.units_left > 0 and sh.shard not in (select shard from shards)
    ) as any
  ), decided as (
    select f.attempt_id, f.buyer_id, f.contact_phone, f.position, a.shard,
      case when not sale.live then 'not_live'
           when e.attempt_id is null then 'limit_reached'
           when a.shard is not null then 'admitted'
           when held_elsewhere.any then 'retry'
           else 'sold_out' end as outcome
    from fresh f cross join sale cross join held_elsewhere
      left join eligible e on e.attempt_id = f.attempt_id
      left join allocated a on a.attempt_id = f.attempt_id
  ), admitted_buyers as (
    select buyer_id, count(*)::int as units from decided where outcome = 'admitted' group by buyer_id
  ), taken as (
    update sale_shards sh set units_left = sh.units_left - t.units
    from (select shard, count(*)::int as units from decided where outcome = 'admitted' group by shard) t
    where sh.sale_id = ${sql.placeholder('saleId')} and sh.shard = t.shard
  ), counted as (
    update sale_buyers b set units = b.units + t.units
    from admitted_buyers t
    where b.sale_id = ${sql.placeholder('saleId')} and b.buyer_id = any(array(select buyer_id from buyers)) and b.buyer_id = t.buyer_id
  ), first_counted as (
    insert into sale_buyers (sale_id, buyer_id, units)
    select ${sql.placeholder('saleId')}, t.buyer_id, t.units from admitted_buyers t
    where not exists (select 1 from buyers b where b.buyer_id = t.buyer_id)
  ), recorded as (
    insert into sale_attempts (sale_id, attempt_id, buyer_id, contact_phone, outcome, shard, reservation_id, payment_deadline)
    select sale.id, d.attempt_id, d.buyer_id, d.contact_phone, d.outcome::sale_attempt_outcome, d.shard,
           case when d.outcome = 'admitted' then 'rsv_' || gen_random_uuid() end,
           case when d.outcome = 'admitted' then now() + make_interval(secs => sale.payment_timeout_ms / 1000.0) end
    from decided d cross join sale
    where d.outcome <> 'retry'
    returning sale_id, attempt_id, outcome::text as outcome, reservation_id, payment_deadline
  ), appended as (${appendEventsFrom({
    topic: SALES_TOPIC,
    type: 'SaleAttemptAdmitted',
    key: sql`recorded.sale_id`,
    // The SaleAttemptAdmitted schema of events.ts, built here; the admission tests parse it with that schema.
    payload: sql`jsonb_build_object('saleId', recorded.sale_id, 'attemptId', recorded.attempt_id, 'reservationId', recorded.reservation_id,
      'paymentDeadline', to_char(recorded.payment_deadline at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`,
    from: sql`recorded where recorded.outcome = 'admitted'`,
  })})
  select i.position::int as position,
         exists (select 1 from sale) as sale_found,
         coalesce(e.outcome, r.outcome, d.outcome) as outcome,
         coalesce(e.reservation_id, r.reservation_id) as reservation_id,
         to_json(coalesce(e.payment_deadline, r.payment_deadline)) #>> '{}' as payment_deadline,
         e.order_id,
         e.buyer_id as first_buyer_id
  from input i
    left join existing e on e.attempt_id = i.attempt_id
    left join recorded r on r.attempt_id = i.attempt_id
    left join decided d on d.attempt_id = i.attempt_id
  order by i.position`);

const DECIDE_ATTEMPTS_STATEMENT = decideAttemptsStatement('for update skip locked');
/** The same statement waiting for the shards it needs (so never answering 'retry' for shards it skipped), for attempts that met held shards PATIENT_AFTER_WAITS times. */
const DECIDE_ATTEMPTS_PATIENTLY_STATEMENT = decideAttemptsStatement('for update');

/**
 * The admission of one order-API process: every attempt goes through a group commit, so
 * attempts arriving together share one statement per sale (DECIDE_ATTEMPTS_STATEMENT) on the
 * sale's own pool. The decision lives in PostgreSQL, so every process shares it.
 */
/** `maxQueued`: attempts waiting for a statement beyond which new ones are shed (`throttled`); none are shed without it. */
export function createSaleAdmission(db: Database, options: { poolSize: number; maxQueued?: number }): SaleAdmission {
  const maxQueued = options.maxQueued ?? Infinity;
  // Planned once per connection: the statement's best plan does not depend on its values. Every
  // query on this pool finds its rows by key, so sequential scans are off: a plan made while a
  // sale's tables were small would otherwise scan them for good once they hold 200,000 buyers.
  const pool = companionDatabase(db, {
    max: options.poolSize,
    applicationName: 'conveyor-sale',
    settings: { plan_cache_mode: 'force_generic_plan', enable_seqscan: 'off' },
  });
  const inFlight = new Map<string, Promise<AttemptDecision>>();
  const groupCommit: GroupCommit<AttemptRequest, Row> = createGroupCommit({
    run: (requests) => decideBySale(pool, db, requests, DECIDE_ATTEMPTS_STATEMENT),
    maxInFlight: STATEMENTS_IN_FLIGHT,
    maxBatchSize: ATTEMPTS_PER_STATEMENT,
  });
  // One at a time: it may wait on other statements' shards, and holds a connection while it does.
  const patientCommit: GroupCommit<AttemptRequest, Row> = createGroupCommit({
    run: (requests) => decideBySale(pool, db, requests, DECIDE_ATTEMPTS_PATIENTLY_STATEMENT),
    maxInFlight: 1,
    maxBatchSize: ATTEMPTS_PER_STATEMENT,
  });

  async function decideOnce(request: AttemptRequest): Promise<AttemptDecision> {
    for (let wait = 0; wait < MAX_SHARD_WAITS; wait++) {
      const row = await (wait < PATIENT_AFTER_WAITS ? groupCommit : patientCommit).submit(request);
      if (!row.sale_found) throw new DomainError('NOT_FOUND', `Sale ${request.saleId} does not exist.`);
      if (row.outcome === 'retry' || row.outcome === null) continue;
      if (row.first_buyer_id !== null && row.first_buyer_id !== request.buyerId) {
        throw new DomainError('CONFLICT', `Attempt id ${request.attemptId} was already used by another buyer; send a new attempt id for each attempt.`);
      }
      const duplicate = row.first_buyer_id !== null;
      if (row.outcome !== 'admitted') return { outcome: row.outcome, attemptId: request.attemptId, duplicate };
      return {
        outcome: 'admitted',
        attemptId: request.attemptId,
        reservationId: row.reservation_id!,
        paymentDeadline: new Date(row.payment_deadline!),
        orderId: row.order_id,
        duplicate,
      };
    }
    throw new DomainError('SERVICE_UNAVAILABLE', 'The sale is too busy to decide this attempt right now; send it again with the same attempt id.');
  }

  return {
    decide(request) {
      // A copy of an attempt still being decided in this process shares its decision instead of racing it.
      const key = `${request.saleId}\u0000${request.attemptId}`;
      const pending = inFlight.get(key);
      if (pending) return pending.then((decision) => ({ ...decision, duplicate: true }));
      // Beyond what the next statements can take, an attempt would only wait, and keep its
      // connection (and the buyer) waiting with it, while the queue grows for as long as the
      // burst lasts: the door answers at once instead, and the buyer sends it again.
      if (groupCommit.queued() >= maxQueued) return Promise.resolve({ outcome: 'throttled', attemptId: request.attemptId, retryAfterSeconds: 1 });
      const decision = decideOnce(request).finally(() => inFlight.delete(key));
      inFlight.set(key, decision);
      return decision;
    },
    async find(saleId, attemptId) {
      const [attempt] = await pool
        .select({
          saleId: saleAttempts.saleId,
          attemptId: saleAttempts.attemptId,
          buyerId: saleAttempts.buyerId,
          outcome: saleAttempts.outcome,
          reservationId: saleAttempts.reservationId,
          paymentDeadline: saleAttempts.paymentDeadline,
          orderId: saleAttempts.orderId,
        })
        .from(saleAttempts)
        .where(and(eq(saleAttempts.saleId, saleId), eq(saleAttempts.attemptId, attemptId)));
      return attempt ?? null;
    },
  };
}

type DecideStatement = typeof DECIDE_ATTEMPTS_STATEMENT;

async function decideBySale(pool: Database, db: Database, requests: AttemptRequest[], statement: DecideStatement): Promise<Row[]> {
  const bySale = new Map<string, number[]>();
  requests.forEach((request, index) => bySale.set(request.saleId, [...(bySale.get(request.saleId) ?? []), index]));
  const rows: Row[] = new Array(requests.length);
  await Promise.all(
    [...bySale.entries()].map(async ([saleId, indexes]) => {
      const batch = indexes.map((index) => requests[index]!);
      const decided = await decideSaleBatch(pool, saleId, batch, statement);
      decided.forEach((row, position) => (rows[indexes[position]!] = row));
    }),
  );
  if (rows.some((row) => row.outcome === 'admitted')) wakeRelayAfterCommit(db);
  return rows;
}

async function decideSaleBatch(pool: Database, saleId: string, batch: AttemptRequest[], statement: DecideStatement): Promise<Row[]> {
  const parameters = fillPlaceholders(statement.params, {
    saleId,
    attemptIds: batch.map((request) => request.attemptId),
    buyerIds: batch.map((request) => request.buyerId),
    contactPhones: batch.map((request) => request.contactPhone ?? null),
    // Where in the ring of shards this statement starts, so concurrent statements take different ones.
    offset: Math.floor(Math.random() * MAX_SHARDS),
  });
  for (let race = 0; ; race++) {
    try {
      return await pool.$client.unsafe<Row[]>(statement.sql, parameters as never[]);
    } catch (error) {
      if (race < MAX_RACES && hasErrorCode(error, RACE_ERRORS)) continue;
      throw error;
    }
  }
}
