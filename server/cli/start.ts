/**
 * npm start: the whole product in one command. Provides the database (DATABASE_URL, or the
 * embedded PostgreSQL under .data/), applies migrations, seeds, builds the console, then runs
 * the three processes as children: the order API, a worker and the console, each exactly as
 * its own command (`npm run order-api`, `npm run worker`, `npm run console`) runs it.
 * Usage: tsx server/cli/start.ts [start|dev] [--port N] [--order-api-port M]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeDatabase, createDatabase } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase } from '@/db/provide-database';
import { consoleCommand, nextBin } from '@/server/runtime/console-process';
import { seedDatabase } from '@/server/runtime/seed-database';
import { startingProcess } from '@/server/runtime/process-lifecycle';
import { checkAuthSecret, checkDatabaseRole, checkFirstAdmin, checkWebhookSecrets } from '@/server/runtime/production-checks';
import { announceRunMode, runMode } from '@/server/runtime/run-mode';
import { portSetting } from '@/server/runtime/settings';

const log = (line: string) => console.log(`[conveyor] ${line}`);
const tsx = path.resolve('node_modules/tsx/dist/cli.mjs');

/** Resolves once the order API answers its health check at all; rejects if it exits first or takes over two minutes. */
async function orderApiAnswers(healthUrl: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (child.exitCode === null && child.signalCode === null) {
    if (await fetch(healthUrl).then(() => true, () => false)) return;
    if (Date.now() > deadline) throw new Error(`the order API did not answer ${healthUrl} within two minutes`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

await startingProcess('conveyor', async () => {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { port: { type: 'string' }, 'order-api-port': { type: 'string' } } });
  const mode = positionals[0] === 'dev' ? 'dev' : 'start';
  if (values.port) process.env.PORT = values.port;
  if (values['order-api-port']) process.env.ORDER_API_PORT = values['order-api-port'];
  const consolePort = portSetting('PORT', 3000);
  const orderApiPort = portSetting('ORDER_API_PORT', 3001);
  const orderApiUrl = process.env.ORDER_API_URL ?? `http://localhost:${orderApiPort}`;

  const runningMode = runMode();
  announceRunMode('conveyor', runningMode);
  const { demo } = runningMode;
  // npm start runs the order API and the console: it needs both of their secrets before it starts anything.
  if (!demo) {
    checkWebhookSecrets();
    checkAuthSecret();
  }

  const started = Date.now();
  const database = await provideDatabase();
  log(
    database.embedded
      ? `embedded PostgreSQL ${database.owned ? 'started' : 'already running, shared'} (${database.url.replace(/:[^:@/]+@/, ':***@')})`
      : 'using DATABASE_URL',
  );
  const db = createDatabase(database.url, { max: 2 });
  try {
    if (!demo) await checkDatabaseRole(db);
    await migrateDatabase(db);
    if (!demo) await checkFirstAdmin(db);
    await seedDatabase(db, { demo, log });
  } catch (error) {
    await closeDatabase(db);
    await database.stop();
    throw error;
  }
  await closeDatabase(db);

  const consoleProcess = consoleCommand({ mode, port: consolePort, databaseUrl: database.url, demo, orderApiUrl });
  const env = { ...consoleProcess.env, ORDER_API_PORT: String(orderApiPort) };
  if (mode === 'start' && process.env.SKIP_BUILD !== 'true') {
    log('building the console (next build)…');
    const build = spawnSync(nextBin, ['build'], { stdio: 'inherit', env });
    if (build.status !== 0) {
      await database.stop();
      process.exit(build.status ?? 1);
    }
  }

  const children = new Map<string, ChildProcess>();
  let stopping = false;
  let exitCode = 0;
  let finishing = false;
  const running = () => [...children.values()].filter((child) => child.exitCode === null && child.signalCode === null);
  function stopAll(signal: NodeJS.Signals) {
    if (stopping) return;
    stopping = true;
    for (const child of running()) child.kill(signal);
  }
  function run(name: string, command: string, args: string[]): ChildProcess {
    const child = spawn(command, args, { stdio: 'inherit', env });
    children.set(name, child);
    child.on('exit', async (code, signal) => {
      if (!stopping) {
        log(`the ${name} exited (${signal ?? `code ${code}`}); stopping the others`);
        exitCode = 1;
        stopAll('SIGTERM');
      }
      if (running().length > 0 || finishing) return;
      finishing = true;
      await database.stop();
      if (database.owned) log('embedded PostgreSQL stopped');
      process.exit(exitCode);
    });
    return child;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (!stopping) log(`${signal}: stopping the order API, the worker (draining) and the console, then the database`);
      stopAll(signal);
    });
  }

  const orderApi = run('order API', process.execPath, [tsx, 'server/cli/order-api.ts']);
  run('worker', process.execPath, [tsx, 'server/cli/worker.ts']);
  // The console last, once the order API answers: a console that answers means the whole product does.
  await orderApiAnswers(`http://127.0.0.1:${orderApiPort}/api/health`, orderApi);
  if (stopping) return;
  run('console', nextBin, consoleProcess.args);
  log(
    `console at http://localhost:${consolePort} · order API at ${orderApiUrl} (${((Date.now() - started) / 1000).toFixed(1)} s)` +
      (demo ? ' — demo accounts are listed on the sign-in page' : ''),
  );
});
