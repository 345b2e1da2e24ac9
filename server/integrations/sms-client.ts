import { z } from 'zod';
import { callIntegration, integrationEndpoint, type IntegrationEndpoint } from './integration-client';

export const sentSms = z.object({ messageId: z.string() });

/** The SMS gateway. The idempotency key makes a retried send deliver one message. */
export function createSmsClient(fixed?: IntegrationEndpoint) {
  // Resolved per call so that env set after import (the launcher's ORDER_API_URL) still applies.
  const endpoint = () => fixed ?? integrationEndpoint('sms');
  return {
    sendSms: (input: { to: string; text: string }, idempotencyKey: string) =>
      callIntegration(endpoint(), { operation: 'send sms', method: 'POST', path: '/messages', body: input, idempotencyKey, response: sentSms }),
  };
}
export type SmsClient = ReturnType<typeof createSmsClient>;
