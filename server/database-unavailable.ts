import { isDatabaseUnavailable } from '@/db/database-unavailable';
import { DomainError } from './errors';

/** What a caller is told while PostgreSQL is down or restarting. */
export const DATABASE_UNAVAILABLE_MESSAGE =
  'The database is not reachable right now, so this could not be done. Try again in a minute; if it lasts, check that PostgreSQL is running (GET /api/health).';

/** A database outage as a domain error (503, SERVICE_UNAVAILABLE); null for any other error. */
export function asDatabaseUnavailable(error: unknown): DomainError | null {
  return isDatabaseUnavailable(error) ? new DomainError('SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE) : null;
}

export function databaseUnavailableResponse(): Response {
  return Response.json({ error: 'database_unavailable', message: DATABASE_UNAVAILABLE_MESSAGE }, { status: 503, headers: { 'retry-after': '5' } });
}

/**
 * Wraps a route handler so that a database outage answers 503 with a sentence a caller can act
 * on, instead of the framework's bare 500. Any other error is thrown on.
 */
export function answeringDatabaseOutage<Args extends unknown[]>(
  handler: (request: Request, ...rest: Args) => Promise<Response>,
): (request: Request, ...rest: Args) => Promise<Response> {
  return async (request, ...rest) => {
    try {
      return await handler(request, ...rest);
    } catch (error) {
      if (isDatabaseUnavailable(error)) return databaseUnavailableResponse();
      throw error;
    }
  };
}
