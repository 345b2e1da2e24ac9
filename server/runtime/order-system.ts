import { closeDatabase, createDatabase, type Database } from '@/db/client';
import type { ConsumerDependencies } from '@/server/consumers/dependencies';
import type { IntegrationName } from '@/server/integrations/integration-client';
import { createPaymentClient } from '@/server/integrations/payment-client';
import { createSmsClient } from '@/server/integrations/sms-client';
import { createWmsClient } from '@/server/integrations/wms-client';
import type { StartPipelineOptions } from '@/server/pipeline';
import { startOrderApi, type OrderApiSimulatorOptions, type SaleDoorSettings } from './order-api';
import { startWorker } from './worker';

export interface OrderSystemOptions {
  db: Database;
  /** The database's URL, for the pools of the simulators and the pipeline. */
  url: string;
  simulators?: Omit<OrderApiSimulatorOptions, 'deliverEveryMs'>;
  pipeline?: Partial<Omit<StartPipelineOptions, 'db' | 'consumers'>>;
  consumers?: Pick<ConsumerDependencies, 'backoff' | 'refundAttempts' | 'saleOrdersPerSecond'>;
  /** The flash-sale door; default from the environment. */
  sales?: SaleDoorSettings;
  clientTimeoutMs?: number;
  /** Fixed port, e.g. for a benchmark; default a free one. */
  port?: number;
}

/**
 * The order API (with the simulators as its third parties) and a worker in one process, wired
 * exactly as `npm run order-api` and `npm run worker` wire them, with every consumer pointed at
 * this API's simulators. For integration tests, chaos and tools that need the whole system.
 */
export async function startOrderSystem(options: OrderSystemOptions) {
  const api = await startOrderApi({ db: options.db, databaseUrl: options.url, port: options.port, simulators: { deliverEveryMs: 50, ...options.simulators }, sales: options.sales });
  const timeoutMs = options.clientTimeoutMs ?? 2_000;
  const endpoint = (name: IntegrationName) => ({ name, baseUrl: `${api.url}/api/sim/${name}`, timeoutMs });
  const dependencies: ConsumerDependencies = {
    payment: createPaymentClient(endpoint('payment')),
    wms: createWmsClient(endpoint('wms')),
    sms: createSmsClient(endpoint('sms')),
    callbackBaseUrl: () => api.url,
    ...options.consumers,
  };
  // The pipeline gets a pool of its own, as a worker process has: its consumers hold a connection
  // for a whole batch, some of it spent waiting on third parties, and must not leave requests queueing.
  const pipelineDb = createDatabase(options.url, { max: 16, applicationName: 'conveyor-pipeline' });
  const worker = await startWorker({ db: pipelineDb, dependencies, pipeline: options.pipeline, opsJobs: false });

  return {
    url: api.url,
    simulators: api.simulators!,
    payment: dependencies.payment,
    notifyUrl: `${api.url}/api/payments/notify`,
    async stop() {
      await worker.stop();
      await api.stop();
      await closeDatabase(pipelineDb);
    },
  };
}
export type OrderSystem = Awaited<ReturnType<typeof startOrderSystem>>;
