import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { OUTBOX_CHANNEL } from './channels';

export type RepublishedEventView = {
  id: string;
  topic: string;
  key: string;
  type: string;
  loggedAt: Date;
};

export type RepublishEventsResult =
  | { dryRun: true; count: number; throughEventId: number | null; sample: RepublishedEventView[] }
  | { dryRun: false; republished: number };

/**
 * "Republish from the outbox since T": puts the events relayed to the NATS stream since `since`
 * back into the outbox under their own ids, so the relay publishes them again to their own
 * partitions and offsets. For a broker that lost messages it had acknowledged: the lost ones are
 * delivered, and the others find their processed marks and run nothing again. `throughEventId`
 * bounds the selection to what a dry run counted (what a second person approved). On the
 * PostgreSQL log no event was relayed to a stream, so nothing is selected.
 */
export async function republishEvents(
  db: Executor,
  input: { since: Date; throughEventId?: number | null; dryRun?: boolean },
): Promise<RepublishEventsResult> {
  const through = input.throughEventId ?? null;
  const selection = sql`
    e.logged_at >= ${input.since.toISOString()}::timestamptz
    and e.stream_sequence is not null
    and (${through}::int8 is null or e.id <= ${through}::int8)
    and not exists (select 1 from outbox o where o.id = e.id)`;
  if (input.dryRun) {
    const [summary] = await db.execute<{ count: number; throughEventId: number | null }>(sql`
      select count(*)::int as count, max(e.id)::float8 as "throughEventId" from events e where ${selection}`);
    const sample = await db.execute<Omit<RepublishedEventView, 'loggedAt'> & { loggedAt: string }>(sql`
      select e.id::text as id, e.topic, e.key, e.type, e.logged_at as "loggedAt"
      from events e where ${selection} order by e.logged_at, e.id limit 10`);
    return { dryRun: true, ...summary!, sample: sample.map((row) => ({ ...row, loggedAt: new Date(row.loggedAt) })) };
  }
  const [row] = await db.execute<{ republished: number }>(sql`
    with copied as (
      insert into outbox (id, topic, key, type, payload, headers, created_at, deliver_at)
      select e.id, e.topic, e.key, e.type, e.payload, e.headers, e.created_at, e.deliver_at
      from events e where ${selection}
      order by e.logged_at, e.id
      on conflict (id) do nothing
      returning 1
    )
    select count(*)::int as republished, pg_notify(${OUTBOX_CHANNEL}, '') from copied`);
  return { dryRun: false, republished: row!.republished };
}
