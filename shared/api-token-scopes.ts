/**
 * What an API token may do, one scope per endpoint family. The order API checks them
 * (server/ops/api-tokens.ts); the console's API tokens screen offers them with these words.
 */
export const API_TOKEN_SCOPES = ['orders:create', 'orders:refund', 'feed:read', 'feed:pii'] as const;

export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

export const API_TOKEN_SCOPE_DESCRIPTIONS: Record<ApiTokenScope, string> = {
  'orders:create': 'storefront: place orders (POST /api/orders)',
  'orders:refund': "storefront: ask for a refund of a customer's order",
  'feed:read': 'data feed: read order events (GET /api/feed/events)',
  'feed:pii': 'data feed: include personal data (phone numbers) in the events',
};

/** The scopes a storefront service needs. */
export const STOREFRONT_SCOPES: readonly ApiTokenScope[] = ['orders:create', 'orders:refund'];
