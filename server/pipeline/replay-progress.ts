import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

export type ReplayProgress = {
  /** Replayed dead letters found. */
  total: number;
  /** Whose replay has ended: processed, or dead again. */
  done: number;
  /** Whose replay failed at least once: retrying now, or dead again. */
  failures: number;
};

/**
 * How far the replays of these dead letters have come. A replay is the retry row linked to
 * the dead letter's (group, event): while it exists the replay is still running (a failure so
 * far once its attempt is past 0); once gone the event is either processed or dead again, in
 * a dead letter of the same (group, event) that died after the replay (an event that died
 * twice before it was replayed has two dead letters and one replay). Each lookup is served by
 * a primary key or dead_letters_event_idx, so a thousand replays cost one statement of index
 * probes.
 */
export async function replayProgress(db: Executor, deadLetterIds: readonly number[]): Promise<ReplayProgress> {
  if (deadLetterIds.length === 0) return { total: 0, done: 0, failures: 0 };
  const [row] = await db.execute<ReplayProgress>(sql`
    select count(*)::int as total,
           count(*) filter (where r.id is null and (again.id is not null or p.event_id is not null))::int as done,
           count(*) filter (where again.id is not null or r.attempt > 0)::int as failures
    from dead_letters d
    left join retries r on r."group" = d."group" and r.event_id = d.event_id
    left join processed_events p on p."group" = d."group" and p.event_id = d.event_id
    left join lateral (
      select n.id from dead_letters n
      where n.event_id = d.event_id and n."group" = d."group" and n.id > d.id and n.dead_at >= d.replayed_at limit 1
    ) again on true
    where d.id = any(${sql.param(deadLetterIds)}::int8[])`);
  return row!;
}
