import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import * as schema from './schema';

export type Database = PostgresJsDatabase<typeof schema> & { $client: Sql };
/** A transaction handle; services accept `Database | Transaction` so they compose. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Executor = Database | Transaction;

export interface DatabaseOptions {
  max?: number;
  applicationName?: string;
}

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const client = postgres(url, {
    max: options.max ?? Number(process.env.DATABASE_POOL_SIZE ?? 10),
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'conveyor' },
  });
  return drizzle(client, { schema, casing: 'snake_case' }) as Database;
}

const globalForDb = globalThis as unknown as { conveyorDb?: Database };

/**
 * The process-wide database. DATABASE_URL is always set by the time server code runs:
 * by the operator, or by the launcher that started the embedded server (server/cli/start.ts).
 * Kept on globalThis so dev-server hot reloads reuse one pool.
 */
export function getDatabase(): Database {
  if (!globalForDb.conveyorDb) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set: start Conveyor with `npm start` or `npm run dev`, which provide one.');
    globalForDb.conveyorDb = createDatabase(url);
  }
  return globalForDb.conveyorDb;
}

export async function closeDatabase(db: Database): Promise<void> {
  await db.$client.end({ timeout: 5 });
}
