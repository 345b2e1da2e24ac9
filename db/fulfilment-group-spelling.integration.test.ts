import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { FULFILMENT_GROUP } from '@/server/consumers/groups';
import { createTestDatabase } from '@/test/database';

const { db } = await createTestDatabase({ max: 2 });

it('renaming the fulfilment group keeps its committed offsets and processed marks, so workers resume where the old name left off', async () => {
  // A database as the old spelling left it: the group registered, partway through partition 3.
  await db.execute(sql`insert into consumer_groups ("group", max_attempts) values ('fulfillment', 8)`);
  await db.execute(sql`insert into consumer_offsets ("group", partition, committed_offset, handled_count) values ('fulfillment', 3, 41, 41)`);
  await db.execute(sql`insert into processed_events ("group", event_id) values ('fulfillment', 7)`);

  const migration = readFileSync(path.resolve('db/migrations/0010_fulfilment_group_spelling.sql'), 'utf8');
  for (const statement of migration.split('--> statement-breakpoint')) await db.execute(sql.raw(statement));

  expect(FULFILMENT_GROUP).toBe('fulfilment');
  const groups = await db.execute<{ group: string }>(sql`select "group" from consumer_groups`);
  expect(groups.map((row) => row.group)).toEqual([FULFILMENT_GROUP]);
  const offsets = await db.execute<{ group: string; committed_offset: string }>(sql`select "group", committed_offset from consumer_offsets where partition = 3`);
  expect(offsets).toEqual([{ group: FULFILMENT_GROUP, committed_offset: '41' }]);
  const processed = await db.execute<{ group: string }>(sql`select "group" from processed_events where event_id = 7`);
  expect(processed).toEqual([{ group: FULFILMENT_GROUP }]);
});
