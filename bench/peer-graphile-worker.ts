/**
 * graphile-worker 0.17 in `bench:pipeline`, in the configuration its performance page
 * (worker.graphile.org/docs/performance) reports its best figures with: `concurrentJobs: 24`,
 * a pool of 25, `localQueue: { size: 500 }` (jobs fetched and locked 500 at a time instead of
 * one fetch per job), `completeJobBatchDelay: 0` and `failJobBatchDelay: 0` (completions
 * batched into one statement), and several worker instances (the page runs 4). Each instance
 * is a process of its own so the instances use every core, as separate machines would; the
 * count defaults to the cores here (`BENCH_PEER_WORKERS`).
 *
 * The fan-out is one job per group per event (task `deliver`, the group in the payload), the
 * way a job queue feeds five downstream systems; the handler writes the delivery's row on the
 * job's own pool. A run is timed to its last row, not to the jobs' deletion after it.
 */
import { availableParallelism } from 'node:os';
import { Logger, makeWorkerUtils, run as runGraphileWorker } from 'graphile-worker';
import { GROUPS, untilEveryRowWritten } from './fan-out';
import { type FanOutSystem, startWorkerProcesses } from './fan-out-system';
import { startAtFixedRate } from './fixed-rate';
import { openPeerPool } from './peer-pg-pool';

const WORKERS = Number(process.env.BENCH_PEER_WORKERS ?? availableParallelism());
const CONCURRENT_JOBS = 24;
const POOL_SIZE = CONCURRENT_JOBS + 1;

interface DeliverPayload {
  group: string;
  event: number;
  appendedAt: number;
}

const silent = new Logger(() => () => {});

const deliveriesOf = (event: number) => GROUPS.map((group) => ({ identifier: 'deliver', payload: { group, event, appendedAt: Date.now() } satisfies DeliverPayload }));

/** Runs in a worker process of its own until the benchmark sends `stop`. */
export async function runGraphileWorkerProcess({ url }: { url: string }): Promise<void> {
  const pgPool = await openPeerPool(url, POOL_SIZE);
  const runner = await runGraphileWorker({
    pgPool,
    logger: silent,
    noHandleSignals: true,
    preset: { worker: { concurrentJobs: CONCURRENT_JOBS, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    taskList: {
      deliver: async (payload, helpers) => {
        const { group, event, appendedAt } = payload as DeliverPayload;
        await helpers.withPgClient((client) =>
          client.query('insert into bench_effects ("group", event, latency_ms) values ($1, $2, $3)', [group, event, Date.now() - appendedAt]),
        );
      },
    },
  });
  process.send!('ready');
  await new Promise<void>((resolve) => process.once('message', (message) => message === 'stop' && resolve()));
  await runner.stop();
  await pgPool.end();
}

/** The latency run's producer: each event's five jobs in one `addJobs` call, on a fixed schedule. */
export async function produceGraphileJobs({ url, rate, total }: { url: string; rate: number; total: number }): Promise<void> {
  const pgPool = await openPeerPool(url, 20);
  const utils = await makeWorkerUtils({ pgPool, logger: silent });
  try {
    await startAtFixedRate(rate, total, (n) => utils.addJobs(deliveriesOf(n)));
  } finally {
    await utils.release();
    await pgPool.end();
  }
}

export const graphileWorkerSystem: FanOutSystem = {
  id: 'graphile-worker',
  name: 'graphile-worker 0.17',
  setup: `${WORKERS} worker processes × concurrentJobs ${CONCURRENT_JOBS}, pool ${POOL_SIZE} each, localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0; one job per group per event, a batch's jobs in one addJobs call`,
  async start(database) {
    const workers = await startWorkerProcesses('graphile-worker', WORKERS, { url: database.url });
    const pgPool = await openPeerPool(database.url, 2);
    const utils = await makeWorkerUtils({ pgPool, logger: silent });
    return {
      append: (first, count) => utils.addJobs(Array.from({ length: count }, (_, n) => deliveriesOf(first + n)).flat()).then(() => {}),
      untilHandled: (events, label) => untilEveryRowWritten(database.url, events, `graphile-worker: ${label}`),
      producer: { role: 'graphile-producer', settings: { url: database.url } },
      async stop() {
        try {
          await workers.stop();
        } finally {
          await utils.release();
          await pgPool.end();
        }
      },
    };
  },
};
