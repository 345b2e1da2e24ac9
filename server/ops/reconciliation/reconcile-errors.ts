import { asDatabaseUnavailable } from '@/server/errors';
import { DomainError } from '@/server/errors';
import { IntegrationError, IntegrationHttpError, type IntegrationName } from '@/server/integrations/integration-client';
import { LeaseLostError } from '../scheduled-jobs';

const thirdPartyNames: Record<IntegrationName, string> = {
  payment: 'The payment provider',
  wms: 'The warehouse (WMS)',
  logistics: 'The logistics carrier',
  sms: 'The SMS gateway',
};

/**
 * What an operator sees when a reconciliation action fails: a DomainError whose message says
 * what happened and what to do. The raw error (SQL, HTTP bodies) goes to the server log and,
 * for runs, to the run row; it never reaches the console's dialogs.
 * `action` completes "… while <action>", e.g. "applying the fix to diff 12".
 */
export function reconciliationFailure(error: unknown, action: string): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof LeaseLostError) {
    return new DomainError('CONFLICT', `This run stopped while ${action}: another process took reconciliation over. Its results appear on this page when it finishes.`);
  }
  const outage = asDatabaseUnavailable(error);
  if (outage) return outage;
  if (error instanceof IntegrationHttpError && error.refused) {
    return new DomainError(
      'CONFLICT',
      `${thirdPartyNames[error.integration]} refused the request (HTTP ${error.status}) while ${action}. Check the order with them, then resolve the diff with a note.`,
    );
  }
  if (error instanceof IntegrationError) {
    return new DomainError(
      'SERVICE_UNAVAILABLE',
      `${thirdPartyNames[error.integration]} did not answer in time while ${action}. Nothing was lost and the fix is safe to repeat: try again in a minute, and check the Third parties page if it keeps failing.`,
    );
  }
  console.error(`[reconciliation] ${action} failed:`, error);
  return new DomainError(
    'SERVICE_UNAVAILABLE',
    `Something went wrong on our side while ${action} (the details are in the server log). Fixes already applied stand and are safe to repeat: try again in a minute, and tell on-call if it keeps failing.`,
  );
}
