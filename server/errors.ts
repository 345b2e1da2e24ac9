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

export const httpStatusOf: Record<DomainErrorKind, number> = {
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  SERVICE_UNAVAILABLE: 503,
};
