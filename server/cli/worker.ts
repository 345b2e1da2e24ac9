/**
 * npm run worker: the event pipeline (relay candidate + every consumer group) and the scheduled
 * ops jobs (OPS_JOBS=off leaves those out). Start several to share the partitions. Uses
 * DATABASE_URL, or the embedded PostgreSQL under .data/ (adopted when already running).
 * SIGTERM/SIGINT drain gracefully: batches in hand finish and leases are released.
 */
import { closeDatabase, createDatabase } from '@/db/client';
import { databaseUnavailableReason, retryWhileDatabaseUnavailable } from '@/db/database-unavailable';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase } from '@/db/provide-database';
import { startingProcess, stopOnSignals } from '@/server/runtime/process-lifecycle';
import { startTracing } from '@/server/tracing/start-tracing';
import { checkDatabaseRole } from '@/server/runtime/production-checks';
import { announceRunMode, runMode } from '@/server/runtime/run-mode';
import { booleanSetting, wholeNumberSetting } from '@/server/runtime/settings';
import { startWorker } from '@/server/runtime/worker';

const log = (line: string) => console.log(`[worker] ${line}`);

await startingProcess('worker', async () => {
  // First, so that every request and delivery runs with the SDK in place (when OTEL_EXPORTER_OTLP_ENDPOINT is set).
  const tracing = startTracing('conveyor-worker');
  // One connection per consumer runner (fulfilment runs four), plus heartbeats, lag sampling and the relay.
  const poolSize = wholeNumberSetting('DATABASE_POOL_SIZE', 16, { min: 4 });
  const opsJobs = booleanSetting('OPS_JOBS', true);
  // The worker holds no secret of its own (it verifies no callback and signs no session), so it only says its mode.
  const mode = runMode();
  announceRunMode('worker', mode);
  const database = await provideDatabase({ quiet: true });
  const db = createDatabase(database.url, { max: poolSize, applicationName: process.env.CONVEYOR_APPLICATION_NAME ?? 'conveyor-worker' });
  const onRetry = (error: unknown) => log(`database unavailable (${databaseUnavailableReason(error)}); starting again`);
  // A worker (re)started while PostgreSQL restarts waits for it instead of exiting.
  await retryWhileDatabaseUnavailable(
    async () => {
      if (!mode.demo) await checkDatabaseRole(db);
      await migrateDatabase(db);
    },
    { onRetry },
  );
  const worker = await startWorker({ db, opsJobs: opsJobs ? {} : false, onRetry });
  log(`${worker.pipeline.workerId} running ${worker.groups.length} consumer group(s): ${worker.groups.join(', ') || 'none'}${opsJobs ? ', and the scheduled ops jobs' : ''}`);

  stopOnSignals(async (signal) => {
    log(`${signal}: finishing batches in hand and releasing leases`);
    await worker.stop();
    await tracing?.shutdown();
    await closeDatabase(db);
    await database.stop();
  });
});
