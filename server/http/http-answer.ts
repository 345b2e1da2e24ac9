import { z } from 'zod';
import { isDatabaseUnavailable } from '@/db/database-unavailable';
import { DATABASE_UNAVAILABLE_MESSAGE, DomainError, httpStatusOf } from '@/server/errors';
import { InsufficientStockError } from '@/server/orders/create-order';

/**
 * What an order API endpoint answers: a JSON body, or text with its own content type. Plain
 * data rather than a fetch Response, so node:http writes it without building one per request.
 */
export interface HttpAnswer {
  status: number;
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export function problem(status: number, error: string, message: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>): HttpAnswer {
  return { status, body: { error, message, ...extra }, headers };
}

/**
 * The one place where an error a service raised becomes an HTTP answer for the order API
 * (the console's tRPC procedures use toTrpcError, from the same kinds): a domain error or a
 * database outage; null for anything else, which is a bug.
 */
export function problemFor(error: unknown): HttpAnswer | null {
  if (error instanceof InsufficientStockError) return problem(409, 'insufficient_stock', error.message, { shortages: error.shortages });
  if (error instanceof DomainError) return problem(httpStatusOf[error.kind], error.kind.toLowerCase(), error.message);
  if (isDatabaseUnavailable(error)) return problem(503, 'database_unavailable', DATABASE_UNAVAILABLE_MESSAGE, {}, { 'retry-after': '5' });
  return null;
}

/** A body parsed as JSON and checked against a schema, or the 400 that says what is wrong with it. */
export function parseJsonBody<T>(text: string, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; answer: HttpAnswer } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, answer: problem(400, 'malformed_body', 'body is not JSON') };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, answer: problem(400, 'malformed_body', parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')) };
}

/**
 * Wraps a fetch-style route handler of the console (sign-in) so that a database outage answers
 * 503 with the same sentence as the order API, instead of the framework's bare 500.
 */
export function answeringDatabaseOutage<Args extends unknown[]>(
  handler: (request: Request, ...rest: Args) => Promise<Response>,
): (request: Request, ...rest: Args) => Promise<Response> {
  return async (request, ...rest) => {
    try {
      return await handler(request, ...rest);
    } catch (error) {
      const answer = isDatabaseUnavailable(error) ? problemFor(error) : null;
      if (!answer) throw error;
      return Response.json(answer.body, { status: answer.status, headers: answer.headers });
    }
  };
}
