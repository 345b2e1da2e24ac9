import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDatabase, closeDatabase } from '@/db/client';
import { createTestDatabase } from '@/test/database';
import { checkHealth } from './health';

const { db } = await createTestDatabase();

describe('health', () => {
  it('is ok when the database is reachable and every migration is applied', async () => {
    expect(await checkHealth(db)).toEqual({ ok: true, database: 'reachable', migrations: 'current' });
  });

  it('reports migrations behind when the latest one is not applied', async () => {
    await db.execute(sql`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`);
    const health = await checkHealth(db);
    expect(health).toMatchObject({ ok: false, migrations: 'behind' });
    expect(health.message).toContain('npm run db:migrate');
  });

  it('reports the database unreachable', async () => {
    const nowhere = createDatabase('postgres://postgres:x@127.0.0.1:1/none', { max: 1 });
    const health = await checkHealth(nowhere);
    expect(health).toMatchObject({ ok: false, database: 'unreachable' });
    await closeDatabase(nowhere);
  });
});
