import type { Database } from '@/db/client';
import { createApiTokenAuthenticator } from '@/server/ops/api-tokens';
import type { ApiRoute } from './api-route';
import { feedRoutes } from './feed';
import { operationsRoutes } from './operations';
import { paymentNotificationRoutes } from './payment-notifications';
import { saleAttemptRoutes, type SaleDoor } from './sale-attempts';
import { DEFAULT_STOREFRONT_LIMITS, storefrontRoutes, type StorefrontLimits } from './storefront';
import { wmsCallbackRoutes } from './wms-callbacks';

export interface OrderApiRouteOptions {
  /** How long a live API token is remembered (so a revoked one works at most this long); default 5 s. */
  apiTokenCacheMs?: number;
  storefrontLimits?: StorefrontLimits;
  /** When set, /api/metrics and the details of /api/health need it as a bearer token. */
  metricsToken?: string | null;
  /** Flash-sale attempts are served when given (the order API process always gives it). */
  saleDoor?: SaleDoor;
}

export const DEFAULT_API_TOKEN_CACHE_MS = 5_000;

/** Every endpoint of the order API: what the internet (storefront and its flash sales, payment provider, warehouse, data team) reaches. */
export function orderApiRoutes(db: Database, options: OrderApiRouteOptions = {}): ApiRoute[] {
  const tokens = createApiTokenAuthenticator(db, { cacheMs: options.apiTokenCacheMs ?? DEFAULT_API_TOKEN_CACHE_MS });
  return [
    ...storefrontRoutes(db, tokens, options.storefrontLimits ?? DEFAULT_STOREFRONT_LIMITS),
    ...(options.saleDoor ? saleAttemptRoutes(tokens, options.saleDoor) : []),
    ...paymentNotificationRoutes(db),
    ...wmsCallbackRoutes(db),
    ...feedRoutes(db, tokens),
    ...operationsRoutes(db, { metricsToken: options.metricsToken ?? null }),
  ];
}
