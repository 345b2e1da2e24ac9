import { closeDatabase, createDatabase, type Database } from '@/db/client';
import { retryWhileDatabaseUnavailable } from '@/db/database-unavailable';
import type { IntegrationName } from '@/server/integrations/integration-client';
import { createPaymentClient } from '@/server/integrations/payment-client';
import { routeByPrefix, serveRequestHandler } from '@/server/integrations/serve-simulators';
import { createSimulators, simulatorDatabase, type SimulatorOptions } from '@/server/integrations/simulators';
import { createSmsClient } from '@/server/integrations/sms-client';
import { createWmsClient } from '@/server/integrations/wms-client';
import { storefrontHandler } from '@/server/orders/storefront-api';
import { paymentNotificationRoute } from '@/server/orders/handle-payment-notification';
import { handleWmsCallback } from '@/server/orders/handle-wms-callback';
import { pipelineOpsHooks } from '@/server/ops/pipeline-hooks';
import { startPipeline, type StartPipelineOptions } from '@/server/pipeline';
import type { ConsumerDependencies } from './dependencies';
import { createOrderConsumers } from './index';

export interface OrderSystemOptions {
  db: Database;
  /** The database's URL, for the simulators' own pool (see simulatorDatabase). */
  url: string;
  simulators?: Omit<SimulatorOptions, 'db'>;
  pipeline?: Partial<Omit<StartPipelineOptions, 'db' | 'consumers'>>;
  consumers?: Pick<ConsumerDependencies, 'backoff' | 'refundAttempts'>;
  clientTimeoutMs?: number;
  /** Fixed port, e.g. for a benchmark; default a free one. */
  port?: number;
}

/**
 * The order system without Next.js: the same request handlers the app routes mount
 * (storefront, payment notify, WMS callback, simulators) on a node:http server, the
 * simulators' background deliveries, and the pipeline with every order consumer pointed
 * at that server. For integration tests and the payment benchmark.
 */
export async function startOrderSystem(options: OrderSystemOptions) {
  const { db } = options;
  const simulatorDb = simulatorDatabase(options.url);
  const simulators = createSimulators({ db: simulatorDb, ...options.simulators });
  const server = await serveRequestHandler(
    routeByPrefix({
      '/api/sim': simulators.handler,
      '/api/orders': storefrontHandler(db),
      '/api/wms/callback': (request) => handleWmsCallback(request, db),
    }),
    { port: options.port, plainRoutes: { '/api/payments/notify': paymentNotificationRoute(db) } },
  );
  const timeoutMs = options.clientTimeoutMs ?? 2_000;
  const endpoint = (name: IntegrationName) => ({ name, baseUrl: `${server.url}/api/sim/${name}`, timeoutMs });
  const dependencies: ConsumerDependencies = {
    payment: createPaymentClient(endpoint('payment')),
    wms: createWmsClient(endpoint('wms')),
    sms: createSmsClient(endpoint('sms')),
    callbackBaseUrl: () => server.url,
    ...options.consumers,
  };
  const background = simulators.start(50);
  // The pipeline gets a pool of its own: its consumers hold a connection for a whole batch,
  // some of it spent waiting on third parties, and must not leave requests queueing for one.
  const pipelineDb = createDatabase(options.url, { max: 16, applicationName: 'conveyor-pipeline' });
  // Started while PostgreSQL restarts (npm run chaos restarts both), it waits for the database.
  const pipeline = await retryWhileDatabaseUnavailable(() => startPipeline({ db: pipelineDb, consumers: createOrderConsumers(dependencies), hooks: pipelineOpsHooks, ...options.pipeline }));

  return {
    url: server.url,
    simulators,
    payment: dependencies.payment,
    notifyUrl: `${server.url}/api/payments/notify`,
    async stop() {
      await pipeline.stop();
      await background.stop();
      await server.close();
      await closeDatabase(simulatorDb);
      await closeDatabase(pipelineDb);
    },
  };
}
export type OrderSystem = Awaited<ReturnType<typeof startOrderSystem>>;
