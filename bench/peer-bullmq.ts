/**
 * BullMQ 6 on the local Redis (`BENCH_REDIS_URL`, default redis://127.0.0.1:6379) in
 * `bench:pipeline`, set up the way its guide says to get throughput:
 * - several workers in processes of their own ("Concurrency": multiple workers is the
 *   recommended setup; a process each so they use every core), one per core by default
 *   (`BENCH_PEER_WORKERS`), each with `concurrency: 50`, the guide's example for I/O-bound
 *   jobs (the handler waits on PostgreSQL);
 * - jobs enqueued with `addBulk` (a batch's adds in one round trip);
 * - `removeOnComplete: true`, so the completed set never grows and finishing a job costs no
 *   bookkeeping for later;
 * - no `QueueEvents` listener and no per-job worker events, and the events stream capped
 *   short (`streams.events.maxLen`), since nothing reads it.
 * One queue carries every group's jobs (the group in the job's data), as graphile-worker's one
 * task does: a queue per group would only add blocking connections and polls per worker. Every run has a key
 * prefix of its own, obliterated afterwards. The handler writes the delivery's row to the
 * run's PostgreSQL database, as every system here does.
 */
import { availableParallelism } from 'node:os';
import { Queue, Worker } from 'bullmq';
import { GROUPS, untilEveryRowWritten } from './fan-out';
import { type FanOutSystem, startWorkerProcesses } from './fan-out-system';
import { startAtFixedRate } from './fixed-rate';
import { openPeerPool } from './peer-pg-pool';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKERS = Number(process.env.BENCH_PEER_WORKERS ?? availableParallelism());
/** The guide's example for I/O-bound jobs; `BENCH_BULLMQ_CONCURRENCY` tries others. */
const CONCURRENCY = Number(process.env.BENCH_BULLMQ_CONCURRENCY ?? 50);
/** Connections per worker process for the handler's insert; below the concurrency, so 2 processes stay within a shared server's connection limit. */
const POOL_SIZE = 25;
const QUEUE = 'deliveries';

interface BullmqSettings {
  url: string;
  prefix: string;
}

interface DeliverData {
  group: string;
  event: number;
  appendedAt: number;
}

const connection = { url: REDIS_URL, maxRetriesPerRequest: null };

function openQueue(prefix: string): Queue {
  return new Queue(QUEUE, { connection, prefix, streams: { events: { maxLen: 100 } }, defaultJobOptions: { removeOnComplete: true } });
}

const deliveriesOf = (event: number) => GROUPS.map((group) => ({ name: 'deliver', data: { group, event, appendedAt: Date.now() } satisfies DeliverData }));

/** Runs in a worker process of its own until the benchmark sends `stop`. */
export async function runBullmqWorkerProcess({ url, prefix }: BullmqSettings): Promise<void> {
  const pgPool = await openPeerPool(url, POOL_SIZE);
  const worker = new Worker<DeliverData>(
    QUEUE,
    async (job) => {
      const { group, event, appendedAt } = job.data;
      await pgPool.query('insert into bench_effects ("group", event, latency_ms) values ($1, $2, $3)', [group, event, Date.now() - appendedAt]);
    },
    { connection, prefix, concurrency: CONCURRENCY },
  );
  await worker.waitUntilReady();
  process.send!('ready');
  await new Promise<void>((resolve) => process.once('message', (message) => message === 'stop' && resolve()));
  await worker.close();
  await pgPool.end();
}

/** The latency run's producer: each event's five jobs in one `addBulk` call, on a fixed schedule. */
export async function produceBullmqJobs({ prefix, rate, total }: BullmqSettings & { rate: number; total: number }): Promise<void> {
  const queue = openQueue(prefix);
  try {
    await startAtFixedRate(rate, total, (n) => queue.addBulk(deliveriesOf(n)));
  } finally {
    await queue.close();
  }
}

let runs = 0;

export const bullmqSystem: FanOutSystem = {
  id: 'bullmq',
  name: 'BullMQ 6 (Redis)',
  setup: `${WORKERS} worker processes × concurrency ${CONCURRENCY}, pg pool ${POOL_SIZE} each, one queue, a batch's jobs in one addBulk call, removeOnComplete, no event listeners, events stream maxLen 100; Redis at ${REDIS_URL}`,
  async start(database) {
    const settings: BullmqSettings = { url: database.url, prefix: `bench-pipeline-${process.pid}-${runs++}` };
    const queue = openQueue(settings.prefix);
    const cleanUp = async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    };
    let workers: Awaited<ReturnType<typeof startWorkerProcesses>>;
    try {
      await queue.obliterate({ force: true });
      workers = await startWorkerProcesses('bullmq-worker', WORKERS, settings);
    } catch (error) {
      await cleanUp();
      throw error;
    }
    return {
      append: (first, count) => queue.addBulk(Array.from({ length: count }, (_, n) => deliveriesOf(first + n)).flat()).then(() => {}),
      untilHandled: (events, label) => untilEveryRowWritten(database.url, events, `BullMQ: ${label}`),
      producer: { role: 'bullmq-producer', settings: { ...settings } },
      async stop() {
        try {
          await workers.stop();
        } finally {
          await cleanUp();
        }
      },
    };
  },
};
