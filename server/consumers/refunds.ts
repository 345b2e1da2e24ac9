import { eq } from 'drizzle-orm';
import { refunds } from '@/db/schema';
import { IntegrationError, IntegrationHttpError } from '@/server/integrations/integration-client';
import { parseOrderEvent } from '@/server/orders/events';
import { completeRefund, failRefund } from '@/server/orders/settle-refund';
import { defineConsumer } from '@/server/pipeline';
import type { ConsumerDependencies } from './dependencies';
import { REFUNDS_GROUP } from './groups';

const DEFAULT_REFUND_ATTEMPTS = 6;

/**
 * The provider refund, with the refund id as idempotency key. A failure is retried by the
 * engine with backoff; a refusal, or a failure on the last attempt, settles the refund as
 * FAILED (order REFUND_FAILED, alert) instead of dead-lettering it, because it needs a
 * person and a retry button, not a replay. Nothing says REFUNDED before the provider does.
 */
export function refundsConsumer(dependencies: ConsumerDependencies) {
  const maxAttempts = dependencies.refundAttempts ?? DEFAULT_REFUND_ATTEMPTS;
  return defineConsumer({
    group: REFUNDS_GROUP,
    topics: ['orders'],
    types: ['RefundRequested'],
    batchSize: 10,
    maxAttempts,
    backoff: dependencies.backoff,
    handler: async (event, { tx, attempt }) => {
      const requested = parseOrderEvent('RefundRequested', event);
      const [refund] = await tx.select({ status: refunds.status }).from(refunds).where(eq(refunds.id, requested.refundId));
      if (refund?.status !== 'PENDING') return;
      try {
        await dependencies.payment.refund({ refundId: requested.refundId, paymentId: requested.paymentId, amountCents: requested.amountCents });
      } catch (error) {
        const refused = error instanceof IntegrationHttpError && error.refused;
        if (error instanceof IntegrationError && (refused || attempt >= maxAttempts)) {
          await failRefund(tx, requested.refundId, { attempts: attempt, error: error.message });
          return;
        }
        throw error;
      }
      await completeRefund(tx, requested.refundId, attempt);
    },
  });
}
