import { z } from 'zod';
import type { Database } from '@/db/client';
import type { ApiTokenAuthenticator } from '@/server/ops/api-tokens';
import { createOrder } from '@/server/orders/create-order';
import { requestRefund } from '@/server/orders/request-refund';
import { requireScope } from './api-token-auth';
import type { ApiRoute } from './api-route';
import { parseJsonBody } from './http-answer';

/** What one storefront request may ask for; each is a setting of the order API (see README, Configuration). */
export interface StorefrontLimits {
  /** STOREFRONT_MAX_LINES: order lines (distinct SKUs) in one order. */
  maxLines: number;
  /** STOREFRONT_MAX_QUANTITY: units of one SKU in one order. */
  maxQuantity: number;
  /** STOREFRONT_MAX_PAYMENT_TIMEOUT_MS: the longest payment deadline a storefront may set, i.e. how long stock may stay frozen. */
  maxPaymentTimeoutMs: number;
}

export const DEFAULT_STOREFRONT_LIMITS: StorefrontLimits = { maxLines: 50, maxQuantity: 1_000, maxPaymentTimeoutMs: 24 * 60 * 60_000 };

/** The storefront vouches for the customer: `userId` is who the order is for, or whose refund is asked. */
const customerId = z.string().trim().min(1).max(200);

function orderRequestBody(limits: StorefrontLimits) {
  return z.object({
    userId: customerId,
    contactPhone: z.string().min(3).max(32).optional(),
    items: z
      .array(
        z.object({
          sku: z.string().min(1).max(100),
          quantity: z.number().int().positive().max(limits.maxQuantity, `at most ${limits.maxQuantity} units of one SKU per order (STOREFRONT_MAX_QUANTITY)`),
        }),
      )
      .min(1)
      .max(limits.maxLines, `at most ${limits.maxLines} lines per order (STOREFRONT_MAX_LINES)`)
      .refine((items) => new Set(items.map((item) => item.sku)).size === items.length, 'each SKU may appear once'),
    paymentTimeoutMs: z
      .number()
      .int()
      .positive()
      .max(limits.maxPaymentTimeoutMs, `at most ${limits.maxPaymentTimeoutMs} ms (STOREFRONT_MAX_PAYMENT_TIMEOUT_MS)`)
      .optional(),
  });
}

const refundRequestBody = z.object({ userId: customerId, reason: z.string().min(1).max(500) });

/**
 * The storefront's endpoints (domain errors are answered by the server, serve-http.ts): create an
 * order (stock frozen, payment timeout scheduled), ask for a refund. Each needs a token with its
 * scope, checked before the body is read.
 */
export function storefrontRoutes(db: Database, tokens: ApiTokenAuthenticator, limits: StorefrontLimits = DEFAULT_STOREFRONT_LIMITS): ApiRoute[] {
  const orderBody = orderRequestBody(limits);
  return [
    {
      method: 'POST',
      path: '/api/orders',
      async handle(request) {
        const access = await requireScope(tokens, request, 'orders:create');
        if (!access.ok) return access.answer;
        const body = parseJsonBody(await request.text(), orderBody);
        if (!body.ok) return body.answer;
        return { status: 201, body: await createOrder(db, body.value) };
      },
    },
    {
      method: 'POST',
      path: '/api/orders/:orderId/refund',
      async handle(request) {
        const access = await requireScope(tokens, request, 'orders:refund');
        if (!access.ok) return access.answer;
        const body = parseJsonBody(await request.text(), refundRequestBody);
        if (!body.ok) return body.answer;
        return { status: 202, body: await requestRefund(db, { orderId: request.params.orderId!, userId: body.value.userId, reason: body.value.reason }) };
      },
    },
  ];
}
