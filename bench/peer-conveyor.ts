/**
 * Our engine in `bench:pipeline`: five consumer groups on the PostgreSQL log or on the NATS
 * JetStream log (R1: one server; R3: a three-node cluster), each started fresh for the run on
 * free ports, never the server on 4222.
 */
import { sql } from 'drizzle-orm';
import { closeDatabase, createDatabase, type Database } from '@/db/client';
import { pipelineOpsHooks } from '@/server/ops/pipeline-hooks';
import { appendEvent, appendEvents, type BatchEventHandler, defineConsumer, type EventHandler, type PipelineEvent, type PipelineLog, startPipeline } from '@/server/pipeline';
import { withProgress } from '@/server/cli/print-progress';
import { NatsServers } from '@/server/runtime/local-nats-servers';
import { GROUPS, waitUntil } from './fan-out';
import type { FanOutSystem } from './fan-out-system';
import { startAtFixedRate } from './fixed-rate';

const POOL_SIZE = 20;
const PARTITIONS = 16;

/** `batch`: one multi-row insert per partition batch (`handleBatch`); `per-event`: one insert per event, as the peers' jobs do. */
type HandlerShape = 'batch' | 'per-event';
type LogChoice = { kind: 'postgres' } | { kind: 'nats'; replicas: 1 | 3 };

interface OrderPaidPayload {
  n: number;
}

const eventNumber = (event: PipelineEvent) => (event.payload as OrderPaidPayload).n;
const latencyOf = (event: PipelineEvent) => Date.now() - event.createdAt.getTime();

const perEventHandler: EventHandler = async (event, { tx, group }) => {
  await tx.execute(sql`insert into bench_effects ("group", event, latency_ms) values (${group}, ${eventNumber(event)}, ${latencyOf(event)})`);
};

const batchHandler: BatchEventHandler = async (events, { tx, group }) => {
  await tx.execute(sql`
    insert into bench_effects ("group", event, latency_ms)
    select ${group}, unnest(${sql.param(events.map(eventNumber))}::int[]), unnest(${sql.param(events.map(latencyOf))}::float8[])`);
};

/** The log for one run: PostgreSQL's, or a NATS server / cluster of its own that `stop` takes down. */
async function openLog(choice: LogChoice): Promise<{ log: PipelineLog; stop(): Promise<void> }> {
  if (choice.kind === 'postgres') return { log: { kind: 'postgres' }, stop: async () => {} };
  const servers = await NatsServers.start(choice.replicas);
  return { log: { kind: 'nats', servers: servers.urls, replicas: choice.replicas }, stop: () => servers.stop() };
}

async function startBenchPipeline(db: Database, shape: HandlerShape, log: PipelineLog) {
  const consumers = GROUPS.map((group) =>
    defineConsumer({ group, types: '*', batchSize: 500, handler: perEventHandler, handleBatch: shape === 'batch' ? batchHandler : undefined }),
  );
  const pipeline = await startPipeline({
    db,
    partitions: PARTITIONS,
    relayBatchSize: 2_000,
    log,
    consumers,
    onError: (error) => console.error('[pipeline]', error),
    hooks: pipelineOpsHooks,
  });
  await waitUntil(async () => {
    const [row] = await db.execute<{ free: number }>(sql`select count(*)::int as free from consumer_offsets where lease_owner is null`);
    return row!.free === 0;
  }, 'every partition to be leased');
  return pipeline;
}

async function consumedDeliveries(db: Database): Promise<number> {
  const [row] = await db.execute<{ consumed: number }>(sql`select coalesce(sum(committed_offset), 0)::int as consumed from consumer_offsets`);
  return row!.consumed;
}

/** The handler's rows commit with the offsets, so every group's offsets reaching the end means every row is written. */
function untilDrained(db: Database, events: number, label: string) {
  const expected = events * GROUPS.length;
  return withProgress(label, () => waitUntil(async () => (await consumedDeliveries(db)) >= expected, `${label}: ${expected} deliveries`), {
    report: async () => `${(await consumedDeliveries(db)).toLocaleString('en')} of ${expected.toLocaleString('en')} deliveries`,
  });
}

const orderPaid = (n: number) => ({ topic: 'orders', key: `order-${n % 5_000}`, type: 'OrderPaid', payload: { n } satisfies OrderPaidPayload });

/**
 * The latency run's producer, in a process of its own as the order API is (in the measured one it
 * would take the event loop the pipeline runs on): one event per transaction on a fixed schedule.
 */
export async function produceConveyorEvents({ url, rate, total }: { url: string; rate: number; total: number }): Promise<void> {
  const producer = createDatabase(url, { max: POOL_SIZE, applicationName: 'bench-producer' });
  try {
    await startAtFixedRate(rate, total, (n) => producer.transaction((tx) => appendEvent(tx, orderPaid(n))));
  } finally {
    await closeDatabase(producer);
  }
}

export function conveyorSystem(id: string, name: string, choice: LogChoice, shape: HandlerShape): FanOutSystem {
  const where = choice.kind === 'postgres' ? 'the PostgreSQL log' : `the NATS log, stream R${choice.replicas} on ${choice.replicas === 1 ? 'one server' : 'a three-node cluster'}`;
  return {
    id,
    name,
    setup: `${where}, ${PARTITIONS} partitions, one worker process, ${shape === 'batch' ? 'a batch handler (one multi-row insert per batch)' : 'a handler per event (one insert each)'}, batches of 500, pool ${POOL_SIZE}`,
    async start(database) {
      const opened = await openLog(choice);
      const db = createDatabase(database.url, { max: POOL_SIZE, applicationName: 'bench' });
      try {
        const pipeline = await startBenchPipeline(db, shape, opened.log);
        return {
          append: (first, count) => db.transaction((tx) => appendEvents(tx, Array.from({ length: count }, (_, n) => orderPaid(first + n)))).then(() => {}),
          untilHandled: (events, label) => untilDrained(db, events, `${name}: ${label}`),
          producer: { role: 'conveyor-producer', settings: { url: database.url } },
          async stop() {
            try {
              await pipeline.stop();
            } finally {
              await closeDatabase(db);
              await opened.stop();
            }
          },
        };
      } catch (error) {
        await closeDatabase(db);
        await opened.stop();
        throw error;
      }
    },
  };
}
