import { sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { databaseUnavailableReason } from '@/db/database-unavailable';
import { migrationsCurrent } from '@/db/migrate';

export interface Health {
  ok: boolean;
  database: 'reachable' | 'unreachable';
  migrations: 'current' | 'behind' | 'unknown';
  message?: string;
}

export async function checkHealth(db: Database): Promise<Health> {
  try {
    await db.execute(sql`select 1`);
  } catch (error) {
    return {
      ok: false,
      database: 'unreachable',
      migrations: 'unknown',
      message: `The database is not reachable (${databaseUnavailableReason(error)}). Check that PostgreSQL is running; the console and the pipeline resume by themselves once it is back.`,
    };
  }
  try {
    const current = await migrationsCurrent(db);
    return current
      ? { ok: true, database: 'reachable', migrations: 'current' }
      : { ok: false, database: 'reachable', migrations: 'behind', message: 'Run `npm run db:migrate`.' };
  } catch (error) {
    return { ok: false, database: 'reachable', migrations: 'unknown', message: (error as Error).message };
  }
}
