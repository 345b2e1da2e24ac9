import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { listConsumerGroups } from './consumer-groups';

const { db } = await createTestDatabase();

describe('listConsumerGroups (the Queues screen and the Overview)', () => {
  it('gives every registered group its retrying and dead counts, zero where it has none, replayed letters not counted', async () => {
    await db.execute(sql`
      insert into consumer_groups ("group", max_attempts, paused, paused_by) values ('a-points', 5, false, null), ('b-sms', 5, true, 'oncall@conveyor.demo'), ('c-quiet', 5, false, null)`);
    await db.execute(sql`
      insert into retries ("group", event_id, attempt, next_attempt_at) values ('a-points', 1, 1, now()), ('a-points', 2, 3, now()), ('b-sms', 3, 1, now())`);
    await db.execute(sql`
      insert into dead_letters ("group", event_id, attempts, errors, status)
      values ('b-sms', 4, 5, '[]', 'dead'), ('b-sms', 5, 5, '[]', 'dead'), ('b-sms', 6, 5, '[]', 'replayed'), ('a-points', 7, 5, '[]', 'discarded')`);

    const groups = await listConsumerGroups(db);

    expect(groups.map(({ group, paused, pausedBy, retrying, dead }) => ({ group, paused, pausedBy, retrying, dead }))).toEqual([
      { group: 'a-points', paused: false, pausedBy: null, retrying: 2, dead: 0 },
      { group: 'b-sms', paused: true, pausedBy: 'oncall@conveyor.demo', retrying: 1, dead: 2 },
      { group: 'c-quiet', paused: false, pausedBy: null, retrying: 0, dead: 0 },
    ]);
  });

  it('reads the same inside a transaction, where its statements run one after another', async () => {
    const outside = await listConsumerGroups(db);
    expect(await db.transaction((tx) => listConsumerGroups(tx))).toEqual(outside);
  });
});
