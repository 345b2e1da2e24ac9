import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/** Takes the lease of each partition that is free or whose holder's lease expired; returns those taken. */
export async function claimPartitions(
  db: Executor,
  input: { group: string; workerId: string; partitions: number[]; leaseMs: number },
): Promise<number[]> {
  if (input.partitions.length === 0) return [];
  const rows = await db.execute<{ partition: number }>(sql`
    update consumer_offsets
    set lease_owner = ${input.workerId}, lease_expires_at = now() + ${input.leaseMs} * interval '1 millisecond'
    where "group" = ${input.group}
      and partition = any(${sql.param(input.partitions)}::int[])
      and (lease_owner is null or lease_owner = ${input.workerId} or lease_expires_at <= now())
    returning partition`);
  return rows.map((row) => row.partition);
}
