import { closeDatabase, createDatabase, getDatabase } from '@/db/client';
import { demoMode } from '@/server/auth/seed-users';
import { consumers } from '@/server/consumers';
import { appUrl } from '@/server/integrations/integration-client';
import { getSimulators } from '@/server/integrations/simulators';
import { startOpsJobs } from '@/server/ops/ops-jobs';
import { pipelineOpsHooks } from '@/server/ops/pipeline-hooks';
import { type PipelineHandle, startPipeline } from '@/server/pipeline';
import { startDemoTraffic } from './demo-traffic';

interface Runtime {
  pipeline: PipelineHandle | null;
  stop(): Promise<void>;
}

const globalForRuntime = globalThis as unknown as { conveyorRuntime?: Promise<Runtime> };

/**
 * What the console server runs besides answering requests: the pipeline in-process (unless
 * PIPELINE=off, when `npm run worker` processes do it) and the simulators' own deliveries
 * (notification redelivery, warehouse dispatch), and in demo mode a trickle of customers. The
 * launcher has already migrated the database. Kept on globalThis so a dev-server reload does not
 * start a second copy.
 */
export function startServerRuntime(): Promise<Runtime> {
  return (globalForRuntime.conveyorRuntime ??= (async () => {
    const db = getDatabase();
    const simulators = getSimulators().start();
    // Its own pool: consumers waiting on a slow warehouse must not hold the connections that
    // payment notifications and console requests need.
    const pipelineDb = process.env.PIPELINE === 'off' ? null : createDatabase(process.env.DATABASE_URL!, { max: 16, applicationName: 'conveyor-pipeline' });
    const pipeline = pipelineDb ? await startPipeline({ db: pipelineDb, consumers, hooks: pipelineOpsHooks }) : null;
    const ordersPerMinute = Number(process.env.DEMO_ORDERS_PER_MINUTE ?? 20);
    // Scheduled reconciliation, alert rules and alert webhooks; leased, so any number of console processes may run this.
    const opsJobs = process.env.OPS_JOBS === 'off' ? null : startOpsJobs({ db });
    const traffic = demoMode() && ordersPerMinute > 0 ? startDemoTraffic({ appUrl: appUrl(), ordersPerMinute, log: console.log }) : null;
    const runtime: Runtime = {
      pipeline,
      async stop() {
        traffic?.stop();
        await opsJobs?.stop();
        await pipeline?.stop();
        if (pipelineDb) await closeDatabase(pipelineDb);
        await simulators.stop();
      },
    };
    // Drain before exit: finish the batches in hand and release partition leases so
    // another process takes them over at once instead of after the lease expires.
    let stopping = false;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        if (stopping) return;
        stopping = true;
        void runtime.stop().finally(() => process.exit(0));
      });
    }
    return runtime;
  })());
}
