import postgres from 'postgres';
import { startEmbeddedPostgres, urlFor } from './embedded';

export interface ProvidedDatabase {
  url: string;
  embedded: boolean;
  /** True when this process started the embedded server, and so stops it. */
  owned: boolean;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'conveyor';

/** DATABASE_URL when set; otherwise the embedded server with a `conveyor` database on it. */
export async function provideDatabase(options: { quiet?: boolean } = {}): Promise<ProvidedDatabase> {
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, embedded: false, owned: false, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({ quiet: options.quiet });
  const admin = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
  try {
    const found = await admin`select 1 from pg_database where datname = ${DATABASE_NAME}`;
    if (found.length === 0) await admin.unsafe(`create database ${DATABASE_NAME}`);
  } finally {
    await admin.end();
  }
  return { url: urlFor(server.port, DATABASE_NAME), embedded: true, owned: server.owned, stop: server.stop };
}
