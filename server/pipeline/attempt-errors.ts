import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/**
 * Failed attempts made in the window (kept on retries and dead letters), counted by the
 * first word of their error message among `firstWords`, with the latest such message.
 */
export async function countRecentAttemptErrors(db: Executor, input: { windowMs: number; firstWords: readonly string[] }) {
  const windowMs = input.windowMs;
  return db.execute<{ firstWord: string; failures: number; lastError: string | null }>(sql`
    with attempts as (
      select a->>'message' as message, (a->>'at')::timestamptz as at from retries r, jsonb_array_elements(r.errors) a
      where r.updated_at >= now() - ${windowMs} * interval '1 millisecond'
      union all
      select a->>'message', (a->>'at')::timestamptz from dead_letters d, jsonb_array_elements(d.errors) a
      where d.dead_at >= now() - ${windowMs} * interval '1 millisecond'
    )
    select split_part(message, ' ', 1) as "firstWord", count(*)::int as failures,
           (array_agg(message order by at desc))[1] as "lastError"
    from attempts
    where at >= now() - ${windowMs} * interval '1 millisecond' and split_part(message, ' ', 1) = any(${sql.param([...input.firstWords])}::text[])
    group by 1`);
}
