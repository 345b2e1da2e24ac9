/**
 * The storefront token the journeys order with. `npm start` in demo mode registers STOREFRONT_TOKEN
 * with the storefront scopes (server/runtime/order-api.ts), as a storefront's own token would be.
 */
export const e2eStorefrontToken = process.env.STOREFRONT_TOKEN ?? 'cvf_e2e-journeys-storefront-token';
