import type { Database } from '@/db/client';
import type { ApiRoute } from './api-route';
import { feedRoutes } from './feed';
import { operationsRoutes } from './operations';
import { paymentNotificationRoutes } from './payment-notifications';
import { storefrontRoutes } from './storefront';
import { wmsCallbackRoutes } from './wms-callbacks';

/** Every endpoint of the order API: what the internet (storefront, payment provider, warehouse, data team) reaches. */
export function orderApiRoutes(db: Database): ApiRoute[] {
  return [...storefrontRoutes(db), ...paymentNotificationRoutes(db), ...wmsCallbackRoutes(db), ...feedRoutes(db), ...operationsRoutes(db)];
}
