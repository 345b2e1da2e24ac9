import { z } from 'zod';
import type { Executor } from '@/db/client';
import { createOrder, createOrderInput } from '@/server/orders/create-order';
import { requestRefund } from '@/server/orders/request-refund';
import type { ApiRoute } from './api-route';
import { parseJsonBody } from './http-answer';

const refundRequestBody = z.object({ reason: z.string().min(1).max(500) });

/** The storefront's endpoints (domain errors are answered by the server, serve-http.ts): create an order (stock frozen, payment timeout scheduled), ask for a refund. */
export function storefrontRoutes(db: Executor): ApiRoute[] {
  return [
    {
      method: 'POST',
      path: '/api/orders',
      async handle(request) {
        const body = parseJsonBody(await request.text(), createOrderInput);
        if (!body.ok) return body.answer;
        return { status: 201, body: await createOrder(db, body.value) };
      },
    },
    {
      method: 'POST',
      path: '/api/orders/:orderId/refund',
      async handle(request) {
        const body = parseJsonBody(await request.text(), refundRequestBody);
        if (!body.ok) return body.answer;
        return { status: 202, body: await requestRefund(db, { orderId: request.params.orderId!, reason: body.value.reason }) };
      },
    },
  ];
}
