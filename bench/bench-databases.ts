/**
 * A fresh database for every benchmark run, cloned from one template that holds our migrated
 * schema, graphile-worker's schema and the `bench_effects` table, so no run sees another's
 * rows, dead tuples or job history.
 */
import { Logger, runMigrations as migrateGraphileWorker } from 'graphile-worker';
import postgres from 'postgres';
import { closeDatabase, createDatabase } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase } from '@/db/provide-database';
import { EFFECTS_TABLE } from './fan-out';
import { openPeerPool } from './peer-pg-pool';

export interface RunDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface BenchDatabases {
  fresh(): Promise<RunDatabase>;
  close(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** On `DATABASE_URL`'s server, else an embedded PostgreSQL, as every benchmark does. */
export async function openBenchDatabases(): Promise<BenchDatabases> {
  const provided = await provideDatabase({ quiet: true });
  const serverUrl = withDatabase(provided.adminUrl ?? provided.url, 'postgres');
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const template = `bench_template_${process.pid}`;
  let runs = 0;
  try {
    await admin.unsafe(`drop database if exists ${template}`);
    await admin.unsafe(`create database ${template}`);
    const templateUrl = withDatabase(serverUrl, template);
    const templateDb = createDatabase(templateUrl, { max: 2 });
    await migrateDatabase(templateDb);
    await closeDatabase(templateDb);
    const pgPool = await openPeerPool(templateUrl, 2);
    try {
      await migrateGraphileWorker({ pgPool, logger: new Logger(() => () => {}) });
      await pgPool.query(EFFECTS_TABLE);
    } finally {
      await pgPool.end();
    }
  } catch (error) {
    await admin.end();
    await provided.stop();
    throw error;
  }
  return {
    async fresh() {
      const name = `bench_${process.pid}_${runs++}`;
      await admin.unsafe(`create database ${name} template ${template}`);
      return { url: withDatabase(serverUrl, name), drop: () => admin.unsafe(`drop database if exists ${name} with (force)`).then(() => {}) };
    },
    async close() {
      await admin.unsafe(`drop database if exists ${template}`);
      await admin.end();
      await provided.stop();
    },
  };
}
