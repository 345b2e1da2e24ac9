/**
 * npm run console: the staff console (Next.js: screens, tRPC, sign-in) on PORT (default 3000),
 * on DATABASE_URL or the embedded PostgreSQL under .data/ (adopted when already running).
 * Applies migrations and seeds as `npm start` does (the first admin; outside demo mode, demo
 * accounts disabled), so a console started on its own is complete. Builds first when there is
 * no build. It runs no pipeline and serves none of the order API.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeDatabase, createDatabase } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase } from '@/db/provide-database';
import { orderApiUrl } from '@/server/integrations/integration-client';
import { consoleBuilt, consoleCommand, nextBin } from '@/server/runtime/console-process';
import { startingProcess } from '@/server/runtime/process-lifecycle';
import { checkAuthSecret, checkDatabaseRole, checkFirstAdmin } from '@/server/runtime/production-checks';
import { announceRunMode, runMode } from '@/server/runtime/run-mode';
import { seedDatabase } from '@/server/runtime/seed-database';
import { portSetting } from '@/server/runtime/settings';

await startingProcess('console', async () => {
  const port = portSetting('PORT', 3000);
  const mode = runMode();
  announceRunMode('console', mode);
  if (!mode.demo) checkAuthSecret();
  const database = await provideDatabase({ quiet: true });
  const db = createDatabase(database.url, { max: 2 });
  try {
    if (!mode.demo) await checkDatabaseRole(db);
    await migrateDatabase(db);
    if (!mode.demo) await checkFirstAdmin(db);
    await seedDatabase(db, { demo: mode.demo, log: (line) => console.log(`[console] ${line}`) });
  } catch (error) {
    await closeDatabase(db);
    await database.stop();
    throw error;
  }
  await closeDatabase(db);
  const command = consoleCommand({ mode: 'start', port, databaseUrl: database.url, demo: mode.demo, orderApiUrl: orderApiUrl() });
  if (!consoleBuilt()) {
    console.log('[console] no build yet: building (next build)…');
    const build = spawnSync(nextBin, ['build'], { stdio: 'inherit', env: command.env });
    if (build.status !== 0) {
      await database.stop();
      process.exit(build.status ?? 1);
    }
  }
  const next = spawn(nextBin, command.args, { stdio: 'inherit', env: command.env });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => next.exitCode === null && next.kill(signal));
  next.on('exit', async (code, signal) => {
    await database.stop();
    process.exit(code ?? (signal ? 0 : 1));
  });
});
