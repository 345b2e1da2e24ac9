import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { createDatabase, closeDatabase } from '../db/client';
import { startEmbeddedPostgres } from '../db/embedded';
import { EmbeddedPostgresUnreachable } from '../db/embedded-as-root';
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
  // A server of this run's own, so two test runs on one machine never stop each other's database.
  await mkdir(path.resolve('.data'), { recursive: true });
  const embeddedDir = process.env.DATABASE_URL ? null : mkdtempSync(path.resolve('.data/test-postgres-'));
  // The server runs as the postgres OS user, which must be able to enter the directory.
  if (embeddedDir) chmodSync(embeddedDir, 0o755);
  const embedded = embeddedDir
    ? await startEmbeddedPostgres({ dir: path.join(embeddedDir, 'data'), quiet: true }).catch((error: unknown) => {
        // The one line saying what to do (e.g. a clone the postgres OS user cannot reach), not a stack trace.
        if (!(error instanceof EmbeddedPostgresUnreachable)) throw error;
        console.error(`[test] ${error.message}`);
        process.exit(1);
      })
    : null;
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
    if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
    // Kept outside the clone when the postgres OS user cannot reach it (db/embedded-as-root.ts).
    if (embedded) rmSync(embedded.dataDir, { recursive: true, force: true });
  };
}
