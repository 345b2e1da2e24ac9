/**
 * npm run console: the staff console (Next.js: screens, tRPC, sign-in) on PORT (default 3000),
 * on DATABASE_URL or the embedded PostgreSQL under .data/ (adopted when already running).
 * Builds first when there is no build. It runs no pipeline and serves none of the order API.
 */
import { spawn, spawnSync } from 'node:child_process';
import { provideDatabase } from '@/db/provide-database';
import { orderApiUrl } from '@/server/integrations/integration-client';
import { consoleBuilt, consoleCommand, nextBin } from '@/server/runtime/console-process';
import { startingProcess } from '@/server/runtime/process-lifecycle';
import { demoSetting, portSetting } from '@/server/runtime/settings';

await startingProcess('console', async () => {
  const port = portSetting('PORT', 3000);
  const database = await provideDatabase({ quiet: true });
  const command = consoleCommand({ mode: 'start', port, databaseUrl: database.url, demo: demoSetting(database.embedded), orderApiUrl: orderApiUrl() });
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
