import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { closeDatabase, companionDatabase, createDatabase } from './client';

const { url } = await createTestDatabase();

it('a companion pool reaches the same database with its own settings and the same application name, and closes with its parent', async () => {
  const parent = createDatabase(url, { max: 1, applicationName: 'companion-test' });
  const companion = companionDatabase(parent, { max: 1, settings: { plan_cache_mode: 'force_generic_plan' } });
  const [seen] = await companion.execute<{ database: string; mode: string; application: string }>(sql`
    select current_database() as database, current_setting('plan_cache_mode') as mode, current_setting('application_name') as application`);
  const [parentSeen] = await parent.execute<{ database: string; mode: string }>(sql`
    select current_database() as database, current_setting('plan_cache_mode') as mode`);
  expect(seen).toEqual({ database: parentSeen!.database, mode: 'force_generic_plan', application: 'companion-test' });
  expect(parentSeen!.mode).toBe('auto');

  await closeDatabase(parent);
  await expect(companion.execute(sql`select 1`)).rejects.toMatchObject({ cause: { code: 'CONNECTION_ENDED' } });
});
