import { z } from 'zod';
import type { Executor } from '@/db/client';
import { createOrder, createOrderInput } from '@/server/orders/create-order';
import { requestRefund } from '@/server/orders/request-refund';
import type { ApiRoute } from './api-route';
import { domainProblem, parseJsonBody } from './http-answer';

const refundRequestBody = z.object({ reason: z.string().min(1).max(500) });

/** The storefront's endpoints: create an order (stock frozen, payment timeout scheduled), ask for a refund. */
export function storefrontRoutes(db: Executor): ApiRoute[] {
  return [
    {
      method: 'POST',
      path: '/api/orders',
      async handle(request) {
        const body = parseJsonBody(await request.text(), createOrderInput);
        if (!body.ok) return body.answer;
        try {
          return { status: 201, body: await createOrder(db, body.value) };
        } catch (error) {
          return domainProblem(error);
        }
      },
    },
    {
      method: 'POST',
      path: '/api/orders/:orderId/refund',
      async handle(request) {
        const body = parseJsonBody(await request.text(), refundRequestBody);
        if (!body.ok) return body.answer;
        try {
          return { status: 202, body: await requestRefund(db, { orderId: request.params.orderId!, reason: body.value.reason }) };
        } catch (error) {
          return domainProblem(error);
        }
      },
    },
  ];
}
