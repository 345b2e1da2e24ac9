import type { Database } from '@/db/client';
import { retryWhileDatabaseUnavailable } from '@/db/database-unavailable';
import { createOrderConsumers } from '@/server/consumers';
import { defaultConsumerDependencies, type ConsumerDependencies } from '@/server/consumers/dependencies';
import { isBuiltInSimulator } from '@/server/integrations/integration-client';
import { startCallRecorder } from '@/server/ops/third-party-calls';
import { startOpsJobs, type OpsJobsHandle, type OpsJobsOptions } from '@/server/ops/ops-jobs';
import { pipelineOpsHooks } from '@/server/ops/pipeline-hooks';
import { startPipeline, type PipelineHandle, type StartPipelineOptions } from '@/server/pipeline';
import { pipelineLogSetting } from './settings';

export interface WorkerOptions {
  db: Database;
  /** What the consumers reach outside the database; default the third parties configured by env. */
  dependencies?: Partial<ConsumerDependencies>;
  pipeline?: Partial<Omit<StartPipelineOptions, 'db' | 'consumers'>>;
  /** Scheduled reconciliation, alert rules, the invariant watch and alert webhooks (leased, so any number of workers may run them); default on. */
  opsJobs?: false | Omit<OpsJobsOptions, 'db'>;
  onRetry?: (error: unknown) => void;
}

export interface Worker {
  pipeline: PipelineHandle;
  groups: string[];
  /** Graceful: finishes the batches in hand and releases partition leases, so another worker takes them at once. */
  stop(): Promise<void>;
}

/**
 * The worker process: the relay (one leader among all workers), every consumer group of the
 * order domain, and the scheduled ops jobs. Started while PostgreSQL restarts, it waits for it.
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { db } = options;
  const consumers = createOrderConsumers({ ...defaultConsumerDependencies(), ...options.dependencies });
  const pipeline = await retryWhileDatabaseUnavailable(() => startPipeline({ db, consumers, hooks: pipelineOpsHooks, log: pipelineLogSetting(), ...options.pipeline }), { onRetry: options.onRetry });
  // The invariants about shipments, payments and refunds compare with the simulators' own records.
  const simulatorChecks = isBuiltInSimulator('payment') && isBuiltInSimulator('wms');
  const opsJobs: OpsJobsHandle | null = options.opsJobs === false ? null : startOpsJobs({ db, simulatorChecks, ...options.opsJobs });
  // The consumers' calls to third parties, for the error rates the Overview shows.
  const calls = startCallRecorder({ db });
  return {
    pipeline,
    groups: consumers.map((consumer) => consumer.group),
    async stop() {
      await opsJobs?.stop();
      await pipeline.stop();
      await calls.stop();
    },
  };
}
