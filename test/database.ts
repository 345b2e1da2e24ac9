import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, inject } from 'vitest';
import { provisionAppRole } from '../db/app-role';
import { closeDatabase, createDatabase, type Database } from '../db/client';

export interface TestDatabase {
  db: Database;
  url: string;
  name: string;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A fresh database cloned from the migrated template, dropped after the file's tests.
 * Call once per test file at module level or in beforeAll.
 */
export async function createTestDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const serverUrl = inject('serverUrl');
  const template = inject('templateDatabase');
  const name = `t_${template.split('_').pop()}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${template}`);
  await admin.end();
  const url = withDatabase(serverUrl, name);
  const db = createDatabase(url, { max: options.max ?? 10 });
  afterAll(async () => {
    await closeDatabase(db);
    const cleanup = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await cleanup.unsafe(`drop database if exists ${name} with (force)`);
    await cleanup.end();
  });
  return { db, url, name };
}

/**
 * What an operator gives production: a login role that owns this test database and is no
 * superuser (one per test file, dropped after its tests). Returns the URL that connects as it.
 */
export async function provisionTestAppRole(database: TestDatabase): Promise<string> {
  const role = `app_${database.name}`;
  afterAll(async () => {
    // Registered after the database's own after-hook, so it runs first: the role is emptied and dropped before the clone goes.
    const inClone = postgres(database.url, { max: 1, onnotice: () => {} });
    if ((await inClone`select 1 from pg_roles where rolname = ${role}`).length > 0) {
      await inClone.unsafe(`reassign owned by ${role} to current_user`);
      await inClone.unsafe(`drop role ${role}`);
    }
    await inClone.end();
  });
  return provisionAppRole(inject('serverUrl'), { role, password: randomBytes(24).toString('base64url'), database: database.name });
}
