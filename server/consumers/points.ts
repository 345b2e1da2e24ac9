import { defineConsumer } from '@/server/pipeline/define-consumer';
import { pointsLedger } from '@/db/schema';
import { parseOrderEvent } from '@/server/orders/events';

/** One point per whole unit of currency paid. */
const pointsFor = (amountCents: number) => Math.floor(amountCents / 100);

/**
 * Loyalty points: one credit per paid order and one reversal per refunded sale. The
 * (order, entry) primary key makes both idempotent by business key, whatever the event id.
 */
export const pointsConsumer = defineConsumer({
  group: 'points',
  topics: ['orders'],
  types: ['OrderPaid', 'RefundSucceeded'],
  handler: async (event, { tx }) => {
    if (event.type === 'OrderPaid') {
      const paid = parseOrderEvent('OrderPaid', event);
      await tx
        .insert(pointsLedger)
        .values({ orderId: paid.orderId, entry: 'credit', userId: paid.userId, points: pointsFor(paid.amountCents), eventId: event.id })
        .onConflictDoNothing();
      return;
    }
    const refunded = parseOrderEvent('RefundSucceeded', event);
    if (!refunded.reversesSale) return;
    await tx
      .insert(pointsLedger)
      .values({ orderId: refunded.orderId, entry: 'reversal', userId: refunded.userId, points: -pointsFor(refunded.amountCents), eventId: event.id })
      .onConflictDoNothing();
  },
});
