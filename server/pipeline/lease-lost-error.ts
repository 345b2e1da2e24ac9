/** Thrown inside a transaction when a guarded queue-state change finds it no longer holds what it changes. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}
