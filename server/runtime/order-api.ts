import { closeDatabase, type Database } from '@/db/client';
import { DEFAULT_API_TOKEN_CACHE_MS, ORDER_API_SURFACES, orderApiRoutes, type OrderApiRouteOptions, type OrderApiSurface } from '@/server/http/order-api-routes';
import { serveHttp } from '@/server/http/serve-http';
import { simulatedIntegrations } from '@/server/integrations/integration-client';
import { startLatencyRecorder } from '@/server/ops/latency-minutes';
import { startCallRecorder } from '@/server/ops/third-party-calls';
import { PAYMENT_NOTIFY_ROUTE } from '@/server/ops/overview';
import { DEFAULT_STOREFRONT_LIMITS } from '@/server/http/storefront';
import { createSimulators, simulatorDatabase, type SimulatorOptions, type Simulators } from '@/server/integrations/simulators';
import { issueApiToken, registerApiToken, revokeApiToken } from '@/server/ops/api-tokens';
import { metricsTokenSetting } from '@/server/ops/operator-access';
import { STOREFRONT_SCOPES } from '@/shared/api-token-scopes';
import { startDemoTraffic } from './demo-traffic';
import { SettingError, wholeNumberSetting } from './settings';
import { trustedProxiesSetting, type AddressRange } from '@/server/auth/auth-settings';
import type { SaleDoor } from '@/server/http/sale-attempts';
import { createAddressThrottle } from '@/server/sales/address-throttle';
import { startAttemptFigures } from '@/server/sales/attempt-figures';
import { createSaleAdmission } from '@/server/sales/decide-attempts';
import { saleAttemptsPerAddressPerSecond, saleDoorQueue, salePoolSize } from '@/server/sales/sale-settings';

export interface OrderApiOptions {
  db: Database;
  /** The database's URL, for the simulators' own pool (see simulatorDatabase). */
  databaseUrl: string;
  /** Default a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Serve the third-party simulators under /api/sim and run their own deliveries (demo mode, or
   * SIMULATORS=on). By default only those whose *_URL does not name another system.
   */
  simulators?: false | OrderApiSimulatorOptions;
  /** Where third parties reach this API (ORDER_API_URL); with the address it listens on, the only place the simulators call back. */
  publicUrl?: string;
  /** Demo customers placing and paying orders through this API, per minute (0 or unset: none). */
  demoOrdersPerMinute?: number;
  maxBodyBytes?: number;
  keepAliveTimeoutMs?: number;
  /** Token cache, storefront limits, metrics token (see orderApiSettings). */
  routes?: OrderApiRouteOptions;
  /** Demo mode only: registered with the storefront scopes, so tools and journeys that read STOREFRONT_TOKEN can order. */
  demoStorefrontToken?: string;
  /** Flash-sale door settings; default from the environment (saleDoorSettings). */
  sales?: SaleDoorSettings;
}

export interface SaleDoorSettings {
  /** SALE_POOL_SIZE */
  poolSize: number;
  /** SALE_ATTEMPTS_PER_ADDRESS_PER_SECOND (0: off) */
  attemptsPerAddressPerSecond: number;
  /** TRUSTED_PROXIES, whose X-Forwarded-For is believed for the client address. */
  trustedProxies: AddressRange[];
  /** SALE_DOOR_QUEUE: attempts waiting for a decision before new ones are answered `throttled`. */
  queue: number;
}

/** The flash-sale door's settings, from the environment; an unusable value stops the start with one line naming it. */
export function saleDoorSettings(): SaleDoorSettings {
  return { poolSize: salePoolSize(), attemptsPerAddressPerSecond: saleAttemptsPerAddressPerSecond(), trustedProxies: trustedProxiesSetting(), queue: saleDoorQueue() };
}

/** The order API's settings of its doors, from the environment; an unusable value stops the start with one line naming it. */
export function orderApiSettings(): Required<Omit<OrderApiRouteOptions, 'saleDoor'>> {
  const metricsToken = metricsTokenSetting();
  if (metricsToken !== null && metricsToken.length < 16) throw new SettingError('METRICS_TOKEN', 'METRICS_TOKEN must have at least 16 characters (e.g. `openssl rand -hex 24`), or be unset');
  return {
    apiTokenCacheMs: wholeNumberSetting('API_TOKEN_CACHE_MS', DEFAULT_API_TOKEN_CACHE_MS, { max: 60_000 }),
    storefrontLimits: {
      maxLines: wholeNumberSetting('STOREFRONT_MAX_LINES', DEFAULT_STOREFRONT_LIMITS.maxLines, { min: 1 }),
      maxQuantity: wholeNumberSetting('STOREFRONT_MAX_QUANTITY', DEFAULT_STOREFRONT_LIMITS.maxQuantity, { min: 1 }),
      maxPaymentTimeoutMs: wholeNumberSetting('STOREFRONT_MAX_PAYMENT_TIMEOUT_MS', DEFAULT_STOREFRONT_LIMITS.maxPaymentTimeoutMs, { min: 1_000 }),
    },
    metricsToken,
    serves: servesSetting(),
  };
}

/** ORDER_API_SERVES: the surfaces this process serves, comma-separated (default all of them). */
function servesSetting(): OrderApiSurface[] {
  const raw = process.env.ORDER_API_SERVES?.trim();
  if (!raw) return [...ORDER_API_SURFACES];
  const named = raw.split(',').map((part) => part.trim()).filter(Boolean);
  const unknown = named.filter((part) => !(ORDER_API_SURFACES as readonly string[]).includes(part));
  if (unknown.length > 0 || named.length === 0) {
    throw new SettingError('ORDER_API_SERVES', `ORDER_API_SERVES lists what this order API serves, from ${ORDER_API_SURFACES.join(', ')} (comma-separated; unset: all); got "${raw}"`);
  }
  return [...new Set(named)] as OrderApiSurface[];
}

export type OrderApiSimulatorOptions = Omit<SimulatorOptions, 'db' | 'merchantOrigins'> & { deliverEveryMs?: number };

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
  let listeningUrl: string | undefined;
  const merchantOrigins = () => [listeningUrl, options.publicUrl].filter((url): url is string => url !== undefined);
  const simulators =
    simulatorDb && options.simulators
      ? createSimulators({ db: simulatorDb, serve: simulatedIntegrations(), ...options.simulators, merchantOrigins })
      : null;
  if (options.demoStorefrontToken) {
    await registerApiToken(options.db, { token: options.demoStorefrontToken, name: 'STOREFRONT_TOKEN (demo)', scopes: STOREFRONT_SCOPES, actor: 'system:order-api' });
  }
  const servesSales = (options.routes?.serves ?? ORDER_API_SURFACES).includes('sales');
  const saleSettings = options.sales ?? saleDoorSettings();
  // The sale's attempts run on a pool of their own, so a sale's burst never queues normal checkout's queries.
  const saleFigures = servesSales ? startAttemptFigures({ db: options.db, onError: () => {} }) : null;
  const saleDoor: SaleDoor | undefined = saleFigures
    ? {
        admission: createSaleAdmission(options.db, { poolSize: saleSettings.poolSize, maxQueued: saleSettings.queue }),
        figures: saleFigures,
        throttle: createAddressThrottle(saleSettings.attemptsPerAddressPerSecond),
        trustedProxies: saleSettings.trustedProxies,
      }
    : undefined;
  const server = await serveHttp({
    routes: orderApiRoutes(options.db, { ...options.routes, saleDoor }),
    prefixes: simulators ? { '/api/sim': simulators.handler } : {},
    port: options.port,
    host: options.host,
    maxBodyBytes: options.maxBodyBytes,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
  });
  listeningUrl = server.url;
  const deliveries = simulators && options.simulators ? simulators.start(options.simulators.deliverEveryMs) : null;
  // The Overview's payment latency: this process's histogram, added to the minute's row in the database.
  const latency = startLatencyRecorder({ db: options.db, routes: [PAYMENT_NOTIFY_ROUTE], onError: () => {} });
  // Its calls to third parties (the warehouse's callbacks lead to some), for the Overview's error rates.
  const calls = startCallRecorder({ db: options.db });
  const ordersPerMinute = options.demoOrdersPerMinute ?? 0;
  // The demo customers call the storefront as any storefront does, with a token of their own, revoked when they stop.
  const trafficToken = ordersPerMinute > 0 ? await issueApiToken(options.db, { name: 'demo customers', scopes: STOREFRONT_SCOPES, actor: 'system:demo-traffic' }) : null;
  const traffic = trafficToken ? startDemoTraffic({ orderApiUrl: server.url, storefrontToken: trafficToken.token, ordersPerMinute, log: console.log }) : null;
  return {
    url: server.url,
    simulators,
    async stop() {
      traffic?.stop();
      await server.close();
      await latency.stop();
      await calls.stop();
      await saleFigures?.stop();
      if (trafficToken) {
        // An admin may have revoked it already, or the database be gone: stopping goes on either way.
        await revokeApiToken(options.db, { tokenId: trafficToken.id, actor: 'system:demo-traffic' }).catch((error: Error) => console.warn(`demo traffic: its token was not revoked: ${error.message}`));
      }
      await deliveries?.stop();
      if (simulatorDb) await closeDatabase(simulatorDb);
    },
  };
}
