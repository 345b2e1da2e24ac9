import { z } from 'zod';
import { callIntegration, integrationEndpoint, type IntegrationEndpoint } from './integration-client';

export const providerPayment = z.object({
  paymentId: z.string(),
  orderId: z.string(),
  amountCents: z.number().int(),
  refundedCents: z.number().int(),
  status: z.literal('SUCCEEDED'),
  notifiedAt: z.string().nullable(),
});
export type ProviderPayment = z.infer<typeof providerPayment>;

export const createdPayment = providerPayment.extend({
  /** The provider's first notification attempt, made before it answered. */
  notification: z.object({ delivered: z.boolean(), status: z.number().nullable(), latencyMs: z.number() }).nullable(),
});

export const providerRefund = z.object({ refundId: z.string(), paymentId: z.string(), amountCents: z.number().int(), status: z.literal('SUCCEEDED') });
export type ProviderRefund = z.infer<typeof providerRefund>;

/** The payment provider's API: take payments (the storefront), refund them and look them up (the back office). */
export function createPaymentClient(fixed?: IntegrationEndpoint) {
  // Resolved per call so that env set after import (the launcher's ORDER_API_URL) still applies.
  const endpoint = () => fixed ?? integrationEndpoint('payment');
  return {
    /** The customer pays; the provider then notifies `notifyUrl` until it gets a 2xx. */
    createPayment: (input: { orderId: string; amountCents: number; notifyUrl: string }, idempotencyKey: string) =>
      callIntegration(endpoint(), { operation: 'create payment', method: 'POST', path: '/payments', body: input, idempotencyKey, response: createdPayment }),
    getPayment: (paymentId: string) =>
      callIntegration(endpoint(), { operation: 'get payment', method: 'GET', path: `/payments/${encodeURIComponent(paymentId)}`, response: providerPayment }),
    paymentsForOrder: (orderId: string) =>
      callIntegration(endpoint(), { operation: 'list payments', method: 'GET', path: `/payments?orderId=${encodeURIComponent(orderId)}`, response: z.array(providerPayment) }),
    /** Idempotent by refund id: asking again for the same refund returns the first result. */
    refund: (input: { refundId: string; paymentId: string; amountCents: number }) =>
      callIntegration(endpoint(), { operation: 'refund', method: 'POST', path: '/refunds', body: input, idempotencyKey: input.refundId, response: providerRefund }),
    getRefund: (refundId: string) =>
      callIntegration(endpoint(), { operation: 'get refund', method: 'GET', path: `/refunds/${encodeURIComponent(refundId)}`, response: providerRefund }),
  };
}
export type PaymentClient = ReturnType<typeof createPaymentClient>;
