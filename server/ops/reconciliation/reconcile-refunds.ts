import { eq } from 'drizzle-orm';
import { refunds } from '@/db/schema';
import type { ProviderPayment } from '@/server/integrations/payment-client';
import { orNotFound, type Finding, type OrderToCheck, type ReconcileContext } from './reconcile-types';

/**
 * Refunds vs the provider. The provider is the judge of money: when it holds a refund we
 * have not settled, settling ours is certain; when we say refunded and it has nothing, a
 * person decides (refund again or correct our books).
 */
export async function reconcileRefunds(context: ReconcileContext, order: OrderToCheck, providerPayments: ProviderPayment[]): Promise<Finding[]> {
  const ours = await context.db.select().from(refunds).where(eq(refunds.orderId, order.id));
  const findings: Finding[] = [];
  for (const refund of ours) {
    const oursView = { refundId: refund.id, status: refund.status, amountCents: refund.amountCents, orderStatus: order.status, kind: refund.kind };
    // A PENDING refund younger than the settle time is the refunds consumer's business.
    const settling = refund.status === 'PENDING' && context.now.getTime() - refund.updatedAt.getTime() < context.settings.settleMs;
    if (settling) continue;
    const theirs = await orNotFound(context.payment.getRefund(refund.id));
    if (!theirs) {
      if (refund.status === 'SUCCEEDED') {
        findings.push({
          kind: 'refund_missing_at_provider',
          orderId: order.id,
          subject: refund.id,
          ours: oursView,
          theirs: { refund: null },
          summary: `We settled refund ${refund.id} (${refund.amountCents} cents) and told the customer; the provider has no such refund.`,
          fix: null,
        });
      }
      continue;
    }
    const theirsView = { refundId: theirs.refundId, status: theirs.status, amountCents: theirs.amountCents, paymentId: theirs.paymentId };
    if (theirs.amountCents !== refund.amountCents) {
      findings.push({
        kind: 'refund_amount_mismatch',
        orderId: order.id,
        subject: refund.id,
        ours: oursView,
        theirs: theirsView,
        summary: `Refund ${refund.id} is ${refund.amountCents} cents here and ${theirs.amountCents} at the provider.`,
        fix: null,
      });
    } else if (refund.status !== 'SUCCEEDED') {
      findings.push({
        kind: 'refund_not_recorded',
        orderId: order.id,
        subject: refund.id,
        ours: oursView,
        theirs: theirsView,
        summary: `The provider refunded ${theirs.amountCents} cents (${theirs.refundId}); our refund is ${refund.status} and the order ${order.status}.`,
        fix: 'settle_refund',
      });
    }
  }

  // Money refunded at the provider that none of our refunds accounts for.
  for (const payment of providerPayments) {
    const accounted = ours.filter((refund) => refund.paymentId === payment.paymentId).reduce((sum, refund) => sum + refund.amountCents, 0);
    if (payment.refundedCents > accounted) {
      findings.push({
        kind: 'refund_not_recorded',
        orderId: order.id,
        subject: `payment:${payment.paymentId}`,
        ours: { refundedCents: accounted, orderStatus: order.status },
        theirs: { paymentId: payment.paymentId, refundedCents: payment.refundedCents },
        summary: `The provider refunded ${payment.refundedCents} cents of payment ${payment.paymentId}; our refunds account for ${accounted}.`,
        fix: null,
      });
    }
  }
  return findings;
}
