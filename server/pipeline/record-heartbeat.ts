import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/**
 * Marks this worker alive in each of its groups, extends the leases it holds, and returns
 * per group the live workers (fresh heartbeat).
 */
export async function recordHeartbeat(
  db: Executor,
  input: { groups: string[]; workerId: string; leaseMs: number },
): Promise<Map<string, string[]>> {
  const groups = sql.param(input.groups);
  await db.execute(sql`
    insert into consumer_workers ("group", worker_id)
    select unnest(${groups}::text[]), ${input.workerId}
    on conflict ("group", worker_id) do update set heartbeat_at = now()`);
  // Rows locked by a batch committing right now are skipped rather than waited for: that
  // avoids deadlocks with multi-row offset commits, and the next heartbeat renews them.
  await db.execute(sql`
    update consumer_offsets o
    set lease_expires_at = now() + ${input.leaseMs} * interval '1 millisecond'
    from (
      select "group", partition from consumer_offsets
      where "group" = any(${groups}::text[]) and lease_owner = ${input.workerId} and lease_expires_at > now()
      for update skip locked
    ) mine
    where o."group" = mine."group" and o.partition = mine.partition`);
  const live = await db.execute<{ group: string; workerId: string }>(sql`
    select "group", worker_id as "workerId" from consumer_workers
    where "group" = any(${groups}::text[]) and heartbeat_at > now() - ${input.leaseMs} * interval '1 millisecond'`);
  // Workers gone for many lease periods are forgotten so the table does not grow forever.
  await db.execute(sql`
    delete from consumer_workers where heartbeat_at < now() - ${input.leaseMs * 20} * interval '1 millisecond'`);

  const liveWorkers = new Map(input.groups.map((group) => [group, [] as string[]]));
  for (const row of live) liveWorkers.get(row.group)?.push(row.workerId);
  return liveWorkers;
}

/** Removes a stopping worker from every group, so the others rebalance at their next heartbeat rather than after expiry. */
export async function forgetWorker(db: Executor, workerId: string): Promise<void> {
  await db.execute(sql`delete from consumer_workers where worker_id = ${workerId}`);
}
