import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';

export type GroupThroughput = {
  group: string;
  /** Successful deliveries per second over the window. */
  handledPerSecond: number;
  windowMs: number;
};

/** Handled events per second per group, from the first and last lag samples inside the window. */
export async function getThroughput(db: Executor, options: { windowMs?: number } = {}): Promise<GroupThroughput[]> {
  const windowMs = options.windowMs ?? 60_000;
  return db.execute<GroupThroughput>(sql`
    select "group",
           coalesce((max(handled_count) - min(handled_count))
             / nullif(extract(epoch from max(sampled_at) - min(sampled_at)), 0), 0)::float8 as "handledPerSecond",
           ${windowMs}::int as "windowMs"
    from lag_samples
    where sampled_at >= now() - ${windowMs} * interval '1 millisecond'
    group by "group"
    order by "group"`);
}
