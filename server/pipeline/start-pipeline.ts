import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from '@/db/client';
import { LOG_CHANNEL, RETRIES_DUE } from './channels';
import { ConsumerRunner } from './consumer-runner';
import { defineConsumer } from './define-consumer';
import { deleteConsumedEvents } from './delete-consumed-events';
import { ensurePartitions } from './ensure-partitions';
import { resolveMetrics, type PipelineHooks } from './hooks';
import { getLag } from './lag';
import { postgresLogSource } from './log-source';
import { NatsLog } from './nats-log';
import { NatsLogSource } from './nats-log-source';
import { POSTGRES_LOG, type PipelineLog } from './pipeline-log';
import { forgetWorker, recordHeartbeat } from './record-heartbeat';
import { registerConsumerGroup } from './register-consumer-group';
import { Relay } from './relay';
import { relayBatch } from './relay-batch';
import { relayBatchToNats } from './relay-batch-to-nats';
import { RELAY_WAKE_UP_EVERY_MS } from './relay-wake-up';
import { repeat } from './repeat';
import { sampleLag } from './sample-lag';
import type { ConsumerDefinition } from './types';

export interface StartPipelineOptions {
  db: Database;
  consumers: readonly ConsumerDefinition[];
  /** Where the log lives (default PostgreSQL). */
  log?: PipelineLog;
  /** Unique per process; defaults to host:pid:random. */
  workerId?: string;
  /** Partitions of the log, fixed by the first start (default 16). */
  partitions?: number;
  /** Whether this process competes to be the relay leader (default true). */
  relay?: boolean;
  relayBatchSize?: number;
  /** A partition lease lasts this long without a heartbeat; heartbeats run every third of it (default 15 s). */
  leaseMs?: number;
  /** Fallback poll when no NOTIFY arrives; also how often due retries are looked for (default 1 s). */
  pollIntervalMs?: number;
  /** How often a non-leader tries to take over the relay (default 2 s). */
  leaderRetryMs?: number;
  /** Lag sampling for history and the lag gauge (default 5 s). */
  sampleIntervalMs?: number;
  /** Consumed events older than this are deleted (default EVENT_RETENTION_DAYS, else 7; on NATS the log's outboxRetentionHours). */
  retentionDays?: number;
  onError?: (error: unknown) => void;
  /** Alerting and metrics of the process running the engine; none by default. */
  hooks?: PipelineHooks;
}

export interface PipelineHandle {
  workerId: string;
  isRelayLeader(): boolean;
  /** Graceful: finishes the batches in hand, releases leases and the relay lock. */
  stop(): Promise<void>;
}

const RETENTION_INTERVAL_MS = 60_000;

/** Runs the relay (if leader) and the given consumer groups in this process. */
export async function startPipeline(options: StartPipelineOptions): Promise<PipelineHandle> {
  const { db } = options;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const leaseMs = options.leaseMs ?? 15_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const sampleIntervalMs = options.sampleIntervalMs ?? 5_000;
  const log = options.log ?? POSTGRES_LOG;
  const retentionDays =
    options.retentionDays ?? (log.kind === 'nats' && log.outboxRetentionHours ? log.outboxRetentionHours / 24 : Number(process.env.EVENT_RETENTION_DAYS ?? 7));
  const onError = options.onError ?? ((error: unknown) => console.error(`[pipeline ${workerId}]`, error));
  const metrics = resolveMetrics(options.hooks?.metrics);
  const onDeadLetter = options.hooks?.onDeadLetter;

  const partitions = await ensurePartitions(db, options.partitions ?? 16);
  const consumers = options.consumers.map(defineConsumer);
  for (const consumer of consumers) await registerConsumerGroup(db, consumer, partitions);

  const nats =
    log.kind === 'nats'
      ? await NatsLog.open(log, { retentionDays, onRetry: (error) => onError(new Error(`waiting for the NATS cluster to answer: ${(error as Error).message}`, { cause: error })) })
      : null;
  const batchSize = options.relayBatchSize ?? 1_000;
  const relay =
    options.relay === false
      ? null
      : new Relay({
          sql: db.$client,
          batchSize,
          moveBatch: nats
            ? (session) => relayBatchToNats(session, { batchSize, partitions, log: nats })
            : (session) => relayBatch(session, { batchSize, partitions }),
          pollIntervalMs,
          leaderRetryMs: options.leaderRetryMs ?? 2_000,
          busyPollMs: 3,
          busyWindowMs: 20 * RELAY_WAKE_UP_EVERY_MS,
          onError,
          metrics,
        });
  try {
    await relay?.start();
  } catch (error) {
    await nats?.close();
    throw error;
  }

  // A group with concurrency n gets n runners here, each a worker of the group in its own
  // right (`workerId`, then `workerId/2`, ...), so partition assignment shares the
  // partitions among them exactly as among processes.
  const runners = consumers.flatMap((consumer) =>
    Array.from({ length: consumer.concurrency }, (_, index) =>
      new ConsumerRunner({
        db,
        consumer,
        workerId: runnerWorkerId(workerId, index),
        partitions,
        leaseMs,
        pollIntervalMs,
        onError,
        onDeadLetter,
        metrics,
        source: (wake) => (nats ? new NatsLogSource({ db, log: nats, group: consumer.group, wake, onError }) : postgresLogSource(db)),
      }),
    ),
  );
  const groups = consumers.map((consumer) => consumer.group);
  const extraRunnerWorkerIds = [...new Set(runners.map((runner) => runner.workerId))].filter((id) => id !== workerId);
  const heartbeat = async () => {
    if (runners.length === 0) return;
    for (const runnerWorker of extraRunnerWorkerIds) {
      const itsGroups = runners.filter((runner) => runner.workerId === runnerWorker).map((runner) => runner.group);
      await recordHeartbeat(db, { groups: itsGroups, workerId: runnerWorker, leaseMs });
    }
    // Last, so that its answer counts the runners just recorded; it covers every group, as each has a first runner.
    const liveWorkers = await recordHeartbeat(db, { groups, workerId, leaseMs });
    for (const runner of runners) runner.onHeartbeat(liveWorkers.get(runner.group) ?? []);
  };
  let listening: { unlisten(): Promise<void> } | null = null;
  try {
    listening = await db.$client.listen(LOG_CHANNEL, (payload) => {
      for (const runner of runners) runner.wake({ retriesDue: payload === RETRIES_DUE });
    });
    await heartbeat();
  } catch (error) {
    // The database went away while starting: leave nothing running, so the caller can start again.
    await listening?.unlisten().catch(() => {});
    await relay?.stop();
    await nats?.close();
    throw error;
  }
  const wakeUps = listening;
  for (const runner of runners) runner.start();

  const chores = [
    repeat(heartbeat, Math.max(50, Math.floor(leaseMs / 3)), onError),
    repeat(
      async () => {
        if (relay?.isLeader) await sampleLag(db);
        for (const group of await getLag(db)) metrics.groupLag(group.group, group.lag);
      },
      sampleIntervalMs,
      onError,
    ),
    repeat(
      async () => {
        if (relay?.isLeader) await deleteConsumedEvents(db, { olderThanDays: retentionDays });
      },
      RETENTION_INTERVAL_MS,
      onError,
    ),
  ];

  let stopping: Promise<void> | null = null;
  return {
    workerId,
    isRelayLeader: () => relay?.isLeader ?? false,
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all(chores.map((chore) => chore.stop()));
        await Promise.all(runners.map((runner) => runner.stop()));
        for (const runnerWorker of [workerId, ...extraRunnerWorkerIds]) await forgetWorker(db, runnerWorker).catch(onError);
        await wakeUps.unlisten().catch(() => {});
        await relay?.stop();
        await nats?.close();
      })()),
  };
}

function runnerWorkerId(workerId: string, index: number): string {
  return index === 0 ? workerId : `${workerId}/${index + 1}`;
}
