import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

export type LoggedEvent = {
  id: string;
  type: string;
  key: string;
  partition: number;
  offset: number;
  payload: unknown;
  /** ISO strings with microseconds: a position in the log to resume after. */
  createdAt: string;
  loggedAt: string;
};

/** Events of a topic after a position (logged time, id), in log order (served by events_logged_at_idx). */
export async function readLog(
  db: Executor,
  input: { topic: string; after: { loggedAt: string; id: string } | null; limit: number },
): Promise<LoggedEvent[]> {
  const { after } = input;
  const rows = await db.execute<LoggedEvent>(sql`
    select id::text as id, type, key, partition, "offset"::float8 as "offset", payload,
           to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "createdAt",
           to_char(logged_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "loggedAt"
      from events
     where topic = ${input.topic}
       and (${after === null} or (logged_at, id) > (${after?.loggedAt ?? null}::timestamptz, ${after?.id ?? null}::int8))
     order by events.logged_at, events.id
     limit ${input.limit}`);
  return [...rows];
}
