import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { createDatabase, closeDatabase } from '../db/client';
import { startEmbeddedPostgres } from '../db/embedded';
import { migrateDatabase } from '../db/migrate';

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string;
    templateDatabase: string;
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * One migrated template per run; each test file clones it (test/database.ts), so files
 * run in parallel against a real PostgreSQL without seeing each other's rows.
 */
export default async function setup(project: TestProject) {
  const embedded = process.env.DATABASE_URL
    ? null
    : await startEmbeddedPostgres({ dir: path.resolve('.data/test-postgres'), quiet: true });
  const serverUrl = process.env.DATABASE_URL ?? embedded!.adminUrl;
  const templateDatabase = `conveyor_template_${process.pid}`;

  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${templateDatabase}`);
  await admin.unsafe(`create database ${templateDatabase}`);
  const template = createDatabase(withDatabase(serverUrl, templateDatabase), { max: 2 });
  await migrateDatabase(template);
  await closeDatabase(template);

  project.provide('serverUrl', serverUrl);
  project.provide('templateDatabase', templateDatabase);

  return async () => {
    const leftovers = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${`t\\_${process.pid}\\_%`} or datname = ${templateDatabase}`;
    for (const { datname } of leftovers) await admin.unsafe(`drop database if exists ${datname} with (force)`);
    await admin.end();
    await embedded?.stop();
  };
}
