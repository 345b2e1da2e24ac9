import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { Database } from './client';
import { openDedicatedSession } from './dedicated-session';

export const migrationsFolder = path.resolve(process.cwd(), 'db/migrations');

/** Applies committed migrations. An advisory lock keeps concurrent starters (console, workers) from racing. */
export async function migrateDatabase(db: Database): Promise<void> {
  // The lock is held by a session of its own, not a reserved pool connection (see dedicated-session.ts);
  // ending that session releases the lock, also when the server went away meanwhile.
  const lockSession = openDedicatedSession(db.$client);
  try {
    await lockSession`select pg_advisory_lock(72707001)`;
    await migrate(db, { migrationsFolder });
  } finally {
    await lockSession.end({ timeout: 1 });
  }
}

interface Journal {
  entries: { tag: string; when: number }[];
}

function latestCommittedMigration(): number {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as Journal;
  return Math.max(...journal.entries.map((entry) => entry.when));
}

/** True when the database has every committed migration applied. */
export async function migrationsCurrent(db: Database): Promise<boolean> {
  const rows = await db.execute<{ latest: string | null }>(
    sql`select max(created_at)::text as latest from drizzle.__drizzle_migrations`,
  );
  const latest = Number(rows[0]?.latest ?? 0);
  return latest >= latestCommittedMigration();
}
