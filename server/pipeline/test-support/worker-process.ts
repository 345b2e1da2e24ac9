/**
 * A pipeline worker in its own process, for the tests that kill processes. Configured by
 * env: DATABASE_URL, WORKER_ID, GROUP (also the topic), RELAY (on|off), HANDLER_DELAY_MS,
 * CRASH_ON_KEY (SIGKILL itself right after writing that event's effect, before commit), and the
 * log as the worker reads it (PIPELINE_LOG, NATS_URL, NATS_STREAM_REPLICAS).
 * Prints `ready` once its pipeline runs; SIGTERM stops it gracefully.
 */
import { closeDatabase, createDatabase } from '@/db/client';
import { defineConsumer } from '../define-consumer';
import { startPipeline } from '../start-pipeline';
import { recordEffect } from './effects';
import { pipelineLogSetting } from '@/server/runtime/settings';
import { fastPipelineOptions } from '@/test/fast-pipeline';

const workerId = process.env.WORKER_ID!;
const group = process.env.GROUP!;
const delayMs = Number(process.env.HANDLER_DELAY_MS ?? 0);
const db = createDatabase(process.env.DATABASE_URL!, { max: 4, applicationName: workerId });

const pipeline = await startPipeline({
  db,
  workerId,
  ...fastPipelineOptions,
  log: pipelineLogSetting(),
  relay: process.env.RELAY !== 'off',
  onError: (error) => console.error(`[${workerId}]`, error),
  consumers: [
    defineConsumer({
      group,
      types: '*',
      topics: [group],
      batchSize: 20,
      handler: async (event, { tx }) => {
        await recordEffect(tx, group, event, workerId);
        if (event.key === process.env.CRASH_ON_KEY) process.kill(process.pid, 'SIGKILL');
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      },
    }),
  ],
});
console.log('ready');

process.on('SIGTERM', async () => {
  await pipeline.stop();
  await closeDatabase(db);
  process.exit(0);
});
