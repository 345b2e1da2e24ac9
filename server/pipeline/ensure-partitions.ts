import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

/**
 * Creates the log's partitions on first start and returns how many there are. The count
 * is fixed by the first start: changing it would move keys to other partitions and break
 * per-key order, so later starts adopt the stored count whatever they ask for.
 */
export async function ensurePartitions(db: Executor, requested: number): Promise<number> {
  await db.execute(sql`
    insert into log_partitions (partition)
    select generate_series(0, ${requested}::int - 1)
    where not exists (select 1 from log_partitions)
    on conflict do nothing`);
  const [row] = await db.execute<{ count: number }>(sql`select count(*)::int as count from log_partitions`);
  return row!.count;
}
