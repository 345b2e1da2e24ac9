import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { provisionAppRole } from './app-role';
import { embeddedDataDir, startEmbeddedPostgres } from './embedded';

export interface ProvidedDatabase {
  url: string;
  embedded: boolean;
  /** True when this process started the embedded server, and so stops it. */
  owned: boolean;
  /** The embedded server's superuser URL, for tools that make databases of their own (benchmarks); null with DATABASE_URL. */
  adminUrl: string | null;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'conveyor';
/** The embedded server's app role: owns the `conveyor` database, is no superuser (db/app-role.ts). */
export const EMBEDDED_APP_ROLE = 'conveyor';

/**
 * The app role's password, made once per data directory and kept beside it (readable by this OS
 * user only); every process that adopts the server reads the same one. Exclusive create, so two
 * processes starting at once agree on the first one written.
 */
function appRolePassword(dataDir: string): string {
  const file = `${dataDir}.app-password`;
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * DATABASE_URL when set; otherwise the embedded server, where the superuser only bootstraps: the
 * app (migrations included) connects as the `conveyor` role owning the `conveyor` database.
 */
export async function provideDatabase(options: { quiet?: boolean } = {}): Promise<ProvidedDatabase> {
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, embedded: false, owned: false, adminUrl: null, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({ dir: embeddedDataDir(), quiet: options.quiet });
  try {
    const url = await provisionAppRole(server.adminUrl, { role: EMBEDDED_APP_ROLE, password: appRolePassword(server.dataDir), database: DATABASE_NAME });
    return { url, embedded: true, owned: server.owned, adminUrl: server.adminUrl, stop: server.stop };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
