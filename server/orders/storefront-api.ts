import { z } from 'zod';
import type { Executor } from '@/db/client';
import { DomainError, httpStatusOf } from '@/server/errors';
import { createOrder, createOrderInput, InsufficientStockError } from './create-order';
import { requestRefund } from './request-refund';

/** The storefront's HTTP endpoints (the load generator drives them): create an order, ask for a refund. */

function problem(status: number, error: string, message: string, extra: Record<string, unknown> = {}) {
  return Response.json({ error, message, ...extra }, { status });
}

async function jsonBody<T>(request: Request, schema: z.ZodType<T>): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
  let json: unknown;
  try {
    json = await request.json();
  } catch {
    return { ok: false, response: problem(400, 'malformed_body', 'body is not JSON') };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, response: problem(400, 'malformed_body', z.prettifyError(parsed.error)) };
}

function domainProblem(error: unknown): Response {
  if (error instanceof InsufficientStockError) return problem(409, 'insufficient_stock', error.message, { shortages: error.shortages });
  if (error instanceof DomainError) return problem(httpStatusOf[error.kind], error.kind.toLowerCase(), error.message);
  throw error;
}

/** POST /api/orders */
export async function handleCreateOrder(request: Request, db: Executor): Promise<Response> {
  const body = await jsonBody(request, createOrderInput);
  if (!body.ok) return body.response;
  try {
    return Response.json(await createOrder(db, body.value), { status: 201 });
  } catch (error) {
    return domainProblem(error);
  }
}

const refundRequestBody = z.object({ reason: z.string().min(1).max(500) });

/** POST /api/orders/:orderId/refund */
export async function handleRefundRequest(request: Request, db: Executor, orderId: string): Promise<Response> {
  const body = await jsonBody(request, refundRequestBody);
  if (!body.ok) return body.response;
  try {
    return Response.json(await requestRefund(db, { orderId, reason: body.value.reason }), { status: 202 });
  } catch (error) {
    return domainProblem(error);
  }
}

/** Both endpoints behind one handler, for serving without Next.js (tests, benchmark, load --serve). */
export function storefrontHandler(db: Executor) {
  return async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/api/orders') return handleCreateOrder(request, db);
    const refund = /^\/api\/orders\/([^/]+)\/refund$/.exec(pathname);
    if (request.method === 'POST' && refund) return handleRefundRequest(request, db, decodeURIComponent(refund[1]!));
    return problem(404, 'not_found', `no storefront route ${request.method} ${pathname}`);
  };
}
