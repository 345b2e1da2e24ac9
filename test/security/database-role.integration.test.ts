import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase } from '@/db/client';
import { startEmbeddedPostgres } from '@/db/embedded';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase } from '@/db/provide-database';

const root = mkdtempSync(path.resolve('.data/test-role-'));
// As root the server runs as the postgres OS user, which must be able to enter the directory.
chmodSync(root, 0o755);
const dataDir = path.join(root, 'postgres');
const saved = { DATABASE_URL: process.env.DATABASE_URL, EMBEDDED_PG_DIR: process.env.EMBEDDED_PG_DIR };
afterAll(() => {
  Object.assign(process.env, saved);
  if (saved.DATABASE_URL === undefined) delete process.env.DATABASE_URL;
  if (saved.EMBEDDED_PG_DIR === undefined) delete process.env.EMBEDDED_PG_DIR;
  rmSync(root, { recursive: true, force: true });
});

describe('the embedded database', () => {
  it('is used by the app as a role that owns its tables and is no superuser, also for tables made before that role existed', async () => {
    // A data directory from before: the conveyor database and a table in it made by the superuser.
    const server = await startEmbeddedPostgres({ dir: dataDir, quiet: true });
    const superuser = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
    await superuser`create database conveyor`;
    await superuser.end();
    const before = postgres(server.adminUrl.replace(/\/postgres$/, '/conveyor'), { max: 1, onnotice: () => {} });
    await before`create table kept_from_before (note text)`;
    await before`insert into kept_from_before values ('still readable')`;
    await before.end();

    delete process.env.DATABASE_URL;
    process.env.EMBEDDED_PG_DIR = dataDir;
    const provided = await provideDatabase({ quiet: true });
    try {
      expect(provided.embedded).toBe(true);
      const db = createDatabase(provided.url, { max: 2 });
      await migrateDatabase(db);
      await closeDatabase(db);

      const app = postgres(provided.url, { max: 1, onnotice: () => {} });
      try {
        expect(await app`select current_user as role, rolsuper as superuser, rolcreaterole as createrole, rolcreatedb as createdb from pg_roles where rolname = current_user`).toEqual([
          { role: 'conveyor', superuser: false, createrole: false, createdb: false },
        ]);
        const owners = await app<{ owner: string; count: number }[]>`
          select pg_get_userbyid(c.relowner) as owner, count(*)::int as count
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname in ('public', 'drizzle') and c.relkind in ('r', 'p', 'S')
           group by 1`;
        expect(owners.map((row) => row.owner)).toEqual(['conveyor']);
        expect(owners[0]!.count).toBeGreaterThan(20);
        expect(await app`select note from kept_from_before`).toEqual([{ note: 'still readable' }]);
        await expect(app`create role intruder login superuser`).rejects.toThrow(/permission denied/);
        await expect(app.unsafe(`copy (select 1) to program 'true'`)).rejects.toThrow(/permission denied|must be superuser/);
      } finally {
        await app.end();
      }
    } finally {
      await provided.stop();
      await server.stop();
    }
  }, 120_000);
});
