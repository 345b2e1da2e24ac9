import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/** Gives up leases this worker holds, so another worker can claim them at once instead of after expiry. */
export async function releasePartitions(
  db: Executor,
  input: { group: string; workerId: string; partitions: number[] },
): Promise<void> {
  if (input.partitions.length === 0) return;
  await db.execute(sql`
    update consumer_offsets set lease_owner = null, lease_expires_at = null
    where "group" = ${input.group} and lease_owner = ${input.workerId}
      and partition = any(${sql.param(input.partitions)}::int[])`);
}
