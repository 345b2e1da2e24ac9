import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/**
 * Marks this worker alive in each of its groups, extends the leases it holds, and returns
 * per group the live workers (fresh heartbeat) and the partitions it still holds.
 */
export async function recordHeartbeat(
  db: Executor,
  input: { groups: string[]; workerId: string; leaseMs: number },
): Promise<Map<string, { liveWorkers: string[]; held: number[] }>> {
  const groups = sql.param(input.groups);
  await db.execute(sql`
    insert into consumer_workers ("group", worker_id)
    select unnest(${groups}::text[]), ${input.workerId}
    on conflict ("group", worker_id) do update set heartbeat_at = now()`);
  const held = await db.execute<{ group: string; partition: number }>(sql`
    update consumer_offsets
    set lease_expires_at = now() + ${input.leaseMs} * interval '1 millisecond'
    where "group" = any(${groups}::text[]) and lease_owner = ${input.workerId} and lease_expires_at > now()
    returning "group", partition`);
  const live = await db.execute<{ group: string; workerId: string }>(sql`
    select "group", worker_id as "workerId" from consumer_workers
    where "group" = any(${groups}::text[]) and heartbeat_at > now() - ${input.leaseMs} * interval '1 millisecond'`);
  // Workers gone for many lease periods are forgotten so the table does not grow forever.
  await db.execute(sql`
    delete from consumer_workers where heartbeat_at < now() - ${input.leaseMs * 20} * interval '1 millisecond'`);

  const result = new Map(input.groups.map((group) => [group, { liveWorkers: [] as string[], held: [] as number[] }]));
  for (const row of live) result.get(row.group)?.liveWorkers.push(row.workerId);
  for (const row of held) result.get(row.group)?.held.push(row.partition);
  return result;
}
