import type { Database } from '@/db/client';
import { createApiTokenAuthenticator } from '@/server/ops/api-tokens';
import type { ApiRoute } from './api-route';
import { feedRoutes } from './feed';
import { operationsRoutes } from './operations';
import { paymentNotificationRoutes } from './payment-notifications';
import { saleAttemptRoutes, type SaleDoor } from './sale-attempts';
import { DEFAULT_STOREFRONT_LIMITS, storefrontRoutes, type StorefrontLimits } from './storefront';
import { wmsCallbackRoutes } from './wms-callbacks';

/**
 * The parts of the order API a process can serve (ORDER_API_SERVES). Health and metrics are
 * always served. A deployment that routes /api/sales/* to processes of their own keeps a
 * flash sale's burst off the CPU that normal checkout and the callbacks run on.
 */
export const ORDER_API_SURFACES = ['storefront', 'sales', 'payments', 'warehouse', 'feed'] as const;
export type OrderApiSurface = (typeof ORDER_API_SURFACES)[number];

export interface OrderApiRouteOptions {
  /** What this process serves; default every surface. */
  serves?: readonly OrderApiSurface[];
  /** How long a live API token is remembered (so a revoked one works at most this long); default 5 s. */
  apiTokenCacheMs?: number;
  storefrontLimits?: StorefrontLimits;
  /** When set, /api/metrics and the details of /api/health need it as a bearer token. */
  metricsToken?: string | null;
  /** Flash-sale attempts are served when given (an order API process serving `sales` always gives it). */
  saleDoor?: SaleDoor;
}

export const DEFAULT_API_TOKEN_CACHE_MS = 5_000;

/** The endpoints of the order API this process serves: what the internet (storefront and its flash sales, payment provider, warehouse, data team) reaches. */
export function orderApiRoutes(db: Database, options: OrderApiRouteOptions = {}): ApiRoute[] {
  const tokens = createApiTokenAuthenticator(db, { cacheMs: options.apiTokenCacheMs ?? DEFAULT_API_TOKEN_CACHE_MS });
  const serves = new Set(options.serves ?? ORDER_API_SURFACES);
  return [
    ...(serves.has('storefront') ? storefrontRoutes(db, tokens, options.storefrontLimits ?? DEFAULT_STOREFRONT_LIMITS) : []),
    ...(serves.has('sales') && options.saleDoor ? saleAttemptRoutes(tokens, options.saleDoor) : []),
    ...(serves.has('payments') ? paymentNotificationRoutes(db) : []),
    ...(serves.has('warehouse') ? wmsCallbackRoutes(db) : []),
    ...(serves.has('feed') ? feedRoutes(db, tokens) : []),
    ...operationsRoutes(db, { metricsToken: options.metricsToken ?? null }),
  ];
}
