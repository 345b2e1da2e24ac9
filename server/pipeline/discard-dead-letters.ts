import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { deadLetterCondition, type DeadLetterFilter, type DeadLetterView, previewDeadLetters } from './dead-letters';

export type DiscardDeadLettersResult =
  | { dryRun: true; count: number; sample: DeadLetterView[] }
  | { dryRun: false; deadLetterIds: number[] };

/** Marks dead letters (still `dead`) as discarded: kept for the record with who and why, never replayed. */
export async function discardDeadLetters(
  db: Executor,
  input: { filter: DeadLetterFilter; actor: string; reason: string; dryRun?: boolean },
): Promise<DiscardDeadLettersResult> {
  const filter: DeadLetterFilter = { ...input.filter, status: 'dead' };
  if (input.dryRun) return { dryRun: true, ...(await previewDeadLetters(db, filter)) };
  const rows = await db.execute<{ id: number }>(sql`
    update dead_letters d
    set status = 'discarded', discarded_at = now(), discarded_by = ${input.actor}, discard_reason = ${input.reason}
    from events e
    where e.id = d.event_id and ${deadLetterCondition(filter)}
    returning d.id::int as id`);
  return { dryRun: false, deadLetterIds: rows.map((row) => row.id) };
}
