import { and, eq } from 'drizzle-orm';
import { smsMessages } from '@/db/schema';
import { parseOrderEvent } from '@/server/orders/events';
import { type BackoffPolicy, defineConsumer, type PipelineEvent } from '@/server/pipeline';
import type { ConsumerDependencies } from './dependencies';
import { NOTIFICATIONS_GROUP } from './groups';

function messageFor(event: PipelineEvent): { orderId: string; kind: string; phone: string; text: string } | null {
  switch (event.type) {
    case 'OrderPaid': {
      const paid = parseOrderEvent('OrderPaid', event);
      return { orderId: paid.orderId, kind: 'paid', phone: paid.contactPhone, text: `Payment of ${(paid.amountCents / 100).toFixed(2)} received for order ${paid.orderId}.` };
    }
    case 'OrderShipped': {
      const shipped = parseOrderEvent('OrderShipped', event);
      return { orderId: shipped.orderId, kind: 'shipped', phone: shipped.contactPhone, text: `Order ${shipped.orderId} is on its way with ${shipped.carrier}, tracking ${shipped.trackingNumber}.` };
    }
    case 'RefundSucceeded': {
      const refunded = parseOrderEvent('RefundSucceeded', event);
      return { orderId: refunded.orderId, kind: `refunded:${refunded.refundId}`, phone: refunded.contactPhone, text: `${(refunded.amountCents / 100).toFixed(2)} has been refunded for order ${refunded.orderId}.` };
    }
    default:
      return null;
  }
}

/** NOTIFICATIONS_RETRY_MAX_MS caps the wait between SMS retries (default: the engine's policy). */
function notificationRetryBackoff(): BackoffPolicy | undefined {
  const maxMs = Number(process.env.NOTIFICATIONS_RETRY_MAX_MS);
  return maxMs > 0 ? { baseMs: Math.min(1_000, maxMs), maxMs } : undefined;
}

/**
 * Customer SMS through the gateway. One message per order and kind: the ledger row skips a
 * message already sent, and the gateway's idempotency key covers a send whose response was lost.
 * Customers hear "refunded" only from RefundSucceeded, i.e. after the provider confirmed.
 */
export function notificationsConsumer(dependencies: ConsumerDependencies) {
  return defineConsumer({
    group: NOTIFICATIONS_GROUP,
    topics: ['orders'],
    types: ['OrderPaid', 'OrderShipped', 'RefundSucceeded'],
    batchSize: 20,
    backoff: dependencies.backoff ?? notificationRetryBackoff(),
    maxAttempts: Number(process.env.NOTIFICATIONS_MAX_ATTEMPTS ?? 20),
    handler: async (event, { tx }) => {
      const message = messageFor(event);
      if (!message) return;
      const [sent] = await tx.select().from(smsMessages).where(and(eq(smsMessages.orderId, message.orderId), eq(smsMessages.kind, message.kind)));
      if (sent) return;
      const { messageId } = await dependencies.sms.sendSms({ to: message.phone, text: message.text }, `${message.orderId}:${message.kind}`);
      await tx.insert(smsMessages).values({ orderId: message.orderId, kind: message.kind, phone: message.phone, gatewayMessageId: messageId }).onConflictDoNothing();
    },
  });
}
