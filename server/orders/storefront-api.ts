import { z } from 'zod';
import type { Executor } from '@/db/client';
import { DomainError, httpStatusOf } from '@/server/errors';
import { createOrder, createOrderInput, InsufficientStockError } from './create-order';

/** POST /api/orders: the storefront's order endpoint (the load generator drives it). */
export async function handleCreateOrder(request: Request, db: Executor): Promise<Response> {
  let json: unknown;
  try {
    json = await request.json();
  } catch {
    return Response.json({ error: 'malformed_body', message: 'body is not JSON' }, { status: 400 });
  }
  const parsed = createOrderInput.safeParse(json);
  if (!parsed.success) return Response.json({ error: 'malformed_body', message: z.prettifyError(parsed.error) }, { status: 400 });
  try {
    const order = await createOrder(db, parsed.data);
    return Response.json(order, { status: 201 });
  } catch (error) {
    if (error instanceof InsufficientStockError) {
      return Response.json({ error: 'insufficient_stock', message: error.message, shortages: error.shortages }, { status: 409 });
    }
    if (error instanceof DomainError) return Response.json({ error: error.kind.toLowerCase(), message: error.message }, { status: httpStatusOf[error.kind] });
    throw error;
  }
}
