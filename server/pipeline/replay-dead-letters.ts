import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { deadLetterCondition, type DeadLetterFilter, type DeadLetterView, previewDeadLetters } from './dead-letters';
import { notifyRetriesDue } from './notify-workers';

export type ReplayDeadLettersResult =
  | { dryRun: true; count: number; sample: DeadLetterView[] }
  | { dryRun: false; replays: { deadLetterId: number; retryId: number }[] };

/**
 * Re-delivers dead letters (by ids or by filter; only those still `dead`). A replay is a
 * new delivery (a retry row due now, with fresh attempts, linked by `replayOf`); the dead
 * letter is kept, marked replayed by whom. The event id is unchanged, so the processed
 * mark still guards against a repeated effect.
 */
export async function replayDeadLetters(
  db: Executor,
  input: {
    filter: DeadLetterFilter;
    actor: string;
    dryRun?: boolean;
    /** Spread the replays' first attempts at this many per second instead of all being due now. */
    pacePerSecond?: number;
  },
): Promise<ReplayDeadLettersResult> {
  const filter: DeadLetterFilter = { ...input.filter, status: 'dead' };
  if (input.dryRun) return { dryRun: true, ...(await previewDeadLetters(db, filter)) };
  return db.transaction(async (tx) => {
    const replays = await tx.execute<{ deadLetterId: number; retryId: number }>(sql`
      with chosen as (
        select d.id from dead_letters d join events e on e.id = d.event_id
        where ${deadLetterCondition(filter)}
          and not exists (select 1 from retries r where r."group" = d."group" and r.event_id = d.event_id)
        for update of d
      ), marked as (
        update dead_letters d set status = 'replayed', replayed_at = now(), replayed_by = ${input.actor}
        from chosen where d.id = chosen.id
        returning d.id, d."group", d.event_id
      ), replays as (
        -- One delivery per event, linked to its newest dead letter: an event an offset reset
        -- redelivered can die again, and retries are unique per group and event.
        insert into retries ("group", event_id, attempt, next_attempt_at, replay_of)
        select distinct on ("group", event_id) "group", event_id, 0, now(), id from marked
        order by "group", event_id, id desc
        returning id, "group", event_id
      )
      select m.id::int as "deadLetterId", r.id::int as "retryId"
      from marked m join replays r on r."group" = m."group" and r.event_id = m.event_id
      order by m.id`);
    const rate = input.pacePerSecond;
    if (rate && replays.length > rate) {
      await tx.execute(sql`
        update retries r set next_attempt_at = now() + (paced.position / ${rate}::float8) * interval '1 second'
        from (select id, row_number() over (order by id) - 1 as position from unnest(${sql.param(replays.map((replay) => replay.retryId))}::int8[]) as ids(id)) paced
        where r.id = paced.id`);
    }
    if (replays.length > 0) await notifyRetriesDue(tx);
    return { dryRun: false, replays: [...replays] };
  });
}
