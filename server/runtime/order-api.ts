import { closeDatabase, type Database } from '@/db/client';
import { orderApiRoutes } from '@/server/http/order-api-routes';
import { serveHttp } from '@/server/http/serve-http';
import { startLatencyRecorder } from '@/server/ops/latency-minutes';
import { PAYMENT_NOTIFY_ROUTE } from '@/server/ops/overview';
import { createSimulators, simulatorDatabase, type SimulatorOptions, type Simulators } from '@/server/integrations/simulators';
import { startDemoTraffic } from './demo-traffic';

export interface OrderApiOptions {
  db: Database;
  /** The database's URL, for the simulators' own pool (see simulatorDatabase). */
  databaseUrl: string;
  /** Default a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Serve the third-party simulators under /api/sim and run their own deliveries (demo mode). */
  simulators?: false | (Omit<SimulatorOptions, 'db'> & { deliverEveryMs?: number });
  /** Demo customers placing and paying orders through this API, per minute (0 or unset: none). */
  demoOrdersPerMinute?: number;
  maxBodyBytes?: number;
  keepAliveTimeoutMs?: number;
}

export interface OrderApi {
  url: string;
  simulators: Simulators | null;
  stop(): Promise<void>;
}

/**
 * The order API process: the storefront, payment notifications, warehouse callbacks, the data
 * feed, health and metrics on node:http; in demo mode also the simulators standing in for the
 * third parties, and a trickle of demo customers. It runs no pipeline: appends go to the outbox
 * in each request's transaction, and the worker processes take them from there.
 */
export async function startOrderApi(options: OrderApiOptions): Promise<OrderApi> {
  const simulatorDb = options.simulators ? simulatorDatabase(options.databaseUrl) : null;
  const simulators = simulatorDb && options.simulators ? createSimulators({ db: simulatorDb, ...options.simulators }) : null;
  const server = await serveHttp({
    routes: orderApiRoutes(options.db),
    prefixes: simulators ? { '/api/sim': simulators.handler } : {},
    port: options.port,
    host: options.host,
    maxBodyBytes: options.maxBodyBytes,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
  });
  const deliveries = simulators && options.simulators ? simulators.start(options.simulators.deliverEveryMs) : null;
  // The Overview's payment latency: this process's histogram, added to the minute's row in the database.
  const latency = startLatencyRecorder({ db: options.db, routes: [PAYMENT_NOTIFY_ROUTE], onError: () => {} });
  const ordersPerMinute = options.demoOrdersPerMinute ?? 0;
  const traffic = ordersPerMinute > 0 ? startDemoTraffic({ orderApiUrl: server.url, ordersPerMinute, log: console.log }) : null;
  return {
    url: server.url,
    simulators,
    async stop() {
      traffic?.stop();
      await server.close();
      await latency.stop();
      await deliveries?.stop();
      if (simulatorDb) await closeDatabase(simulatorDb);
    },
  };
}
