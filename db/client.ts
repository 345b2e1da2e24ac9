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
  /** Run-time parameters every connection starts with, e.g. `{ plan_cache_mode: 'force_generic_plan' }`. */
  settings?: Record<string, string>;
}

interface Origin {
  url: string;
  applicationName: string;
  companions: Database[];
}

/**
 * What a database was made from, so a companion can be made to match and closed with it. Kept
 * on the database itself under a registered symbol: Next.js bundles this module more than
 * once, and a database made by one copy reaches code of another (through `getDatabase`).
 */
const ORIGIN = Symbol.for('conveyor.database-origin');
const originOf = (db: Database): Origin | undefined => (db as Database & { [ORIGIN]?: Origin })[ORIGIN];

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const applicationName = options.applicationName ?? 'conveyor';
  const client = postgres(url, {
    max: options.max ?? Number(process.env.DATABASE_POOL_SIZE ?? 10),
    onnotice: () => {},
    connection: { ...options.settings, application_name: applicationName },
    backoff: reconnectDelaySeconds,
  });
  const db = drizzle(preparingStatements(client), { schema, casing: 'snake_case' }) as Database;
  Object.defineProperty(db, ORIGIN, { value: { url, applicationName, companions: [] } satisfies Origin });
  return db;
}

/**
 * A pool of its own to the same database, for a hot statement whose sessions need settings
 * of their own. Same application name unless given; closed by `closeDatabase` with `db`.
 */
export function companionDatabase(db: Database, options: DatabaseOptions): Database {
  const origin = originOf(db);
  if (!origin) throw new Error('companionDatabase: this database was not made by createDatabase');
  const companion = createDatabase(origin.url, { applicationName: origin.applicationName, ...options });
  origin.companions.push(companion);
  return companion;
}

/**
 * How long a connection waits before it reconnects, by failed attempts so far (counted across the
 * pool). postgres.js's default grows to 20 s, so after a database restart work resumed only
 * seconds to minutes after the server was back; one second at most keeps that short.
 */
function reconnectDelaySeconds(attempts: number): number {
  return Math.min(0.05 * 2 ** attempts, 1);
}

/**
 * drizzle sends every query it did not name as an unnamed statement, so PostgreSQL parses
 * and plans it on every call; for the pipeline's queries planning cost more than running.
 * This makes postgres.js prepare them instead: once per connection and query text, then
 * bind and execute. Transactions and savepoints get a client that does the same.
 */
function preparingStatements<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'unsafe') {
        return (query: string, parameters?: unknown[], options?: object) => value.call(target, query, parameters, { ...options, prepare: true });
      }
      if (property === 'begin' || property === 'savepoint') {
        return (...args: unknown[]) => {
          const scope = args.pop() as (inner: object) => unknown;
          return value.call(target, ...args, (inner: object) => scope(preparingStatements(inner)));
        };
      }
      return value;
    },
  });
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
  const companions = originOf(db)?.companions ?? [];
  await Promise.all([db.$client.end({ timeout: 5 }), ...companions.map(closeDatabase)]);
}
