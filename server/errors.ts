import { isDatabaseUnavailable } from '@/db/database-unavailable';

/**
 * Errors a service raises when the caller asked for something that cannot be done.
 * The tRPC layer (server/trpc/init.ts) and route handlers turn `kind` into a status code;
 * `message` is shown to the operator as is, so it says what to do.
 */
/** SERVICE_UNAVAILABLE: a dependency (database, third party) failed; the operator should try again later. */
export type DomainErrorKind = 'BAD_REQUEST' | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN' | 'PRECONDITION_FAILED' | 'SERVICE_UNAVAILABLE';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/**
 * Whether an error is a DomainError (of one kind, if given). Next.js bundles a module once per
 * layer (route handlers, server components) while the auth instance lives on globalThis, so an
 * error made by one layer's copy of the class reaches code holding another's, where
 * `instanceof` alone does not recognise it.
 */
export function isDomainError(error: unknown, kind?: DomainErrorKind): error is DomainError {
  const domain = error instanceof DomainError || (error instanceof Error && error.name === 'DomainError' && typeof (error as { kind?: unknown }).kind === 'string');
  return domain && (kind === undefined || (error as DomainError).kind === kind);
}

export const httpStatusOf: Record<DomainErrorKind, number> = {
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  SERVICE_UNAVAILABLE: 503,
};

/** What a caller is told while PostgreSQL is down or restarting. */
export const DATABASE_UNAVAILABLE_MESSAGE =
  'The database is not reachable right now, so this could not be done. Try again in a minute; if it lasts, check that PostgreSQL is running (GET /api/health).';

/** A database outage as a domain error (503, SERVICE_UNAVAILABLE); null for any other error. */
export function asDatabaseUnavailable(error: unknown): DomainError | null {
  return isDatabaseUnavailable(error) ? new DomainError('SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE) : null;
}
