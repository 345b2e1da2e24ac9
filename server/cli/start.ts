/**
 * The one command that runs the console: provides the database (DATABASE_URL, or the embedded
 * PostgreSQL under .data/), applies migrations, seeds, then builds and serves Next.js with the
 * pipeline in-process. Usage: tsx server/cli/start.ts [start|dev] [--port N]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeDatabase, createDatabase } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase } from '@/db/provide-database';
import { seedDatabase } from '@/server/runtime/seed-database';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { port: { type: 'string' } } });
const mode = positionals[0] === 'dev' ? 'dev' : 'start';
const port = values.port ?? process.env.PORT ?? '3000';
const log = (line: string) => console.log(`[conveyor] ${line}`);

/*
 * Node closes an idle keep-alive connection after 5 s, and a client that sends on it just as it
 * closes gets ECONNRESET (Playwright's and most API clients do not retry a POST). Held longer than
 * load balancers' idle timeouts (60 s), the client or proxy, not the console, ends an idle connection.
 */
const keepAliveTimeoutMs = process.env.KEEP_ALIVE_TIMEOUT_MS ?? '65000';
if (!/^[1-9]\d*$/.test(keepAliveTimeoutMs)) {
  console.error(`[conveyor] KEEP_ALIVE_TIMEOUT_MS must be a whole number of milliseconds, e.g. 65000; got "${keepAliveTimeoutMs}"`);
  process.exit(1);
}

/** A stable secret for signing sessions when the operator gives none: kept beside the embedded data. */
function authSecret(): string {
  if (process.env.AUTH_SECRET) return process.env.AUTH_SECRET;
  const file = path.resolve('.data/auth-secret');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

const started = Date.now();
const database = await provideDatabase();
log(
  database.embedded
    ? `embedded PostgreSQL ${database.owned ? 'started' : 'already running, shared'} (${database.url.replace(/:[^:@/]+@/, ':***@')})`
    : 'using DATABASE_URL',
);
const db = createDatabase(database.url, { max: 2 });
await migrateDatabase(db);
const demo = process.env.DEMO ?? String(database.embedded);
process.env.DEMO = demo;
await seedDatabase(db, { demo: demo === 'true', log });
await closeDatabase(db);

const nextBin = path.resolve('node_modules/.bin/next');
const env = {
  ...process.env,
  DATABASE_URL: database.url,
  DEMO: demo,
  AUTH_SECRET: authSecret(),
  PORT: port,
  APP_URL: process.env.APP_URL ?? `http://localhost:${port}`,
};

if (mode === 'start' && process.env.SKIP_BUILD !== 'true') {
  log('building the console (next build)…');
  const build = spawnSync(nextBin, ['build'], { stdio: 'inherit', env });
  if (build.status !== 0) {
    await database.stop();
    process.exit(build.status ?? 1);
  }
}

const server: ChildProcess = spawn(
  nextBin,
  mode === 'dev' ? ['dev', '-p', port] : ['start', '-p', port, '--keepAliveTimeout', keepAliveTimeoutMs],
  { stdio: 'inherit', env },
);
log(`console starting at http://localhost:${port} (${((Date.now() - started) / 1000).toFixed(1)} s to database ready)${demo === 'true' ? ' — demo accounts are listed on the sign-in page' : ''}`);

let stopping = false;
async function shutdown(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping the console, then the database`);
  if (server.exitCode === null) server.kill(signal);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

server.on('exit', async (code, signal) => {
  await database.stop();
  if (database.owned) log('embedded PostgreSQL stopped');
  process.exit(code ?? (signal ? 0 : 1));
});
