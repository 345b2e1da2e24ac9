import { eq } from 'drizzle-orm';
import { payments } from '@/db/schema';
import type { ProviderPayment } from '@/server/integrations/payment-client';
import type { Finding, OrderToCheck, ReconcileContext } from './reconcile-types';

/**
 * Payments vs the provider, per order: a provider payment we never recorded is a missed
 * notification (fix: apply it as the notification would); a payment we recorded that the
 * provider does not have, or with another amount, is for a person.
 */
export async function reconcilePayments(context: ReconcileContext, order: OrderToCheck, theirs: ProviderPayment[]): Promise<Finding[]> {
  const ours = await context.db.select().from(payments).where(eq(payments.orderId, order.id));
  const findings: Finding[] = [];

  for (const provider of theirs) {
    const recorded = ours.find((payment) => payment.id === provider.paymentId);
    if (!recorded) {
      const expected = order.totalCents;
      findings.push(
        provider.amountCents === expected
          ? {
              kind: 'payment_not_recorded',
              orderId: order.id,
              subject: provider.paymentId,
              ours: { status: order.status, paymentId: order.paymentId, amountCents: null },
              theirs: { paymentId: provider.paymentId, amountCents: provider.amountCents, notifiedAt: provider.notifiedAt },
              summary:
                order.status === 'CLOSED'
                  ? `Provider took ${provider.amountCents} cents for closed order ${order.id}; the payment must be recorded and refunded.`
                  : `Provider took ${provider.amountCents} cents for order ${order.id} (${order.status}) but the notification never reached us.`,
              fix: 'apply_payment',
            }
          : {
              kind: 'payment_amount_mismatch',
              orderId: order.id,
              subject: provider.paymentId,
              ours: { status: order.status, orderTotalCents: expected },
              theirs: { paymentId: provider.paymentId, amountCents: provider.amountCents },
              summary: `Provider payment ${provider.paymentId} is ${provider.amountCents} cents; order ${order.id} costs ${expected}.`,
              fix: null,
            },
      );
      continue;
    }
    if (recorded.amountCents !== provider.amountCents) {
      findings.push({
        kind: 'payment_amount_mismatch',
        orderId: order.id,
        subject: provider.paymentId,
        ours: { paymentId: recorded.id, amountCents: recorded.amountCents, status: order.status },
        theirs: { paymentId: provider.paymentId, amountCents: provider.amountCents },
        summary: `We recorded ${recorded.amountCents} cents for payment ${recorded.id}; the provider says ${provider.amountCents}.`,
        fix: null,
      });
    }
  }

  for (const recorded of ours) {
    if (theirs.some((provider) => provider.paymentId === recorded.id)) continue;
    findings.push({
      kind: 'payment_missing_at_provider',
      orderId: order.id,
      subject: recorded.id,
      ours: { paymentId: recorded.id, amountCents: recorded.amountCents, status: order.status, receivedAt: recorded.receivedAt.toISOString() },
      theirs: { payment: null },
      summary: `We recorded payment ${recorded.id} (${recorded.amountCents} cents) for order ${order.id}; the provider has no such payment.`,
      fix: null,
    });
  }
  return findings;
}
