import { type SQL, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';

const { db } = await createTestDatabase({ max: 1 });

/**
 * The plan PostgreSQL would use once the tables are big: sequential scans are disabled so
 * the planner shows whether an index can serve the query at all (test tables are tiny).
 */
async function planOf(query: SQL): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local enable_seqscan = off`);
    const rows = await tx.execute<{ 'QUERY PLAN': string }>(sql`explain ${query}`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

describe('indexes behind the pipeline hot paths and screens', () => {
  it('the relay finds due outbox rows through the deliver_at index', async () => {
    const plan = await planOf(sql`select id from outbox where deliver_at <= now() order by deliver_at, id limit 1000 for update skip locked`);
    expect(plan).toContain('outbox_deliver_at_idx');
  });

  it('a worker reads after its committed offset through the partition/offset index', async () => {
    const plan = await planOf(sql`select * from events where partition = 3 and "offset" >= 1000 order by "offset" limit 500`);
    expect(plan).toContain('events_partition_offset_idx');
  });

  it('the key trace finds a key in the log and in the outbox by index', async () => {
    expect(await planOf(sql`select * from events where key = 'order-1'`)).toContain('events_key_idx');
    expect(await planOf(sql`select * from outbox where key = 'order-1'`)).toContain('outbox_key_idx');
  });

  it('workers find due retries of their group by index', async () => {
    const plan = await planOf(sql`select id from retries where "group" = 'points' and next_attempt_at <= now() order by next_attempt_at limit 100`);
    expect(plan).toContain('retries_due_idx');
  });

  it('the dead-letter screen pages by group or by status through an index', async () => {
    const byGroup = await planOf(sql`select * from dead_letters where "group" = 'points' and id < 1000 order by id desc limit 51`);
    expect(byGroup).toContain('dead_letters_group_idx');
    const byStatus = await planOf(sql`select * from dead_letters where status = 'dead' and id < 1000 order by id desc limit 51`);
    expect(byStatus).toContain('dead_letters_status_idx');
  });

  it('retention finds old events by the logged_at index', async () => {
    expect(await planOf(sql`select id from events where logged_at < now() - interval '7 days' limit 500`)).toContain('events_logged_at_idx');
  });
});
