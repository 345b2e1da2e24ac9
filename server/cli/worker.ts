/**
 * Runs the event pipeline alone (relay candidate + every consumer group), so several
 * worker processes can share the partitions. Uses DATABASE_URL, or the embedded
 * PostgreSQL under .data/ (adopted when the console already runs it).
 * SIGTERM/SIGINT drain gracefully: batches in hand finish and leases are released.
 */
import { closeDatabase, createDatabase } from '@/db/client';
import { databaseUnavailableReason, retryWhileDatabaseUnavailable } from '@/db/database-unavailable';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase } from '@/db/provide-database';
import { consumers } from '@/server/consumers';
import { pipelineOpsHooks } from '@/server/ops/pipeline-hooks';
import { startPipeline } from '@/server/pipeline';

const log = (line: string) => console.log(`[worker] ${line}`);

const database = await provideDatabase({ quiet: true });
// One connection per consumer runner (fulfilment runs four), plus heartbeats, lag sampling and the relay.
const db = createDatabase(database.url, { max: Number(process.env.DATABASE_POOL_SIZE ?? 16), applicationName: process.env.CONVEYOR_APPLICATION_NAME ?? 'conveyor-worker' });
// A worker (re)started while PostgreSQL restarts waits for it instead of exiting.
const pipeline = await retryWhileDatabaseUnavailable(
  async () => {
    await migrateDatabase(db);
    return startPipeline({ db, consumers, hooks: pipelineOpsHooks });
  },
  { onRetry: (error) => log(`database unavailable (${databaseUnavailableReason(error)}); starting again`) },
);
log(`${pipeline.workerId} running ${consumers.length} consumer group(s): ${consumers.map((consumer) => consumer.group).join(', ') || 'none'}`);

let stopping = false;
async function shutdown(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: finishing batches in hand and releasing leases`);
  await pipeline.stop();
  await closeDatabase(db);
  await database.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
