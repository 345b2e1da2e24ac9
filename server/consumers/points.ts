import { pointsLedger } from '@/db/schema';
import { parseOrderEvent } from '@/server/orders/events';
import { defineConsumer, type PipelineEvent } from '@/server/pipeline';
import { POINTS_GROUP } from './groups';

/** One point per whole unit of currency paid. */
const pointsFor = (amountCents: number) => Math.floor(amountCents / 100);

function ledgerEntry(event: PipelineEvent): typeof pointsLedger.$inferInsert | null {
  if (event.type === 'OrderPaid') {
    const paid = parseOrderEvent('OrderPaid', event);
    return { orderId: paid.orderId, entry: 'credit', userId: paid.userId, points: pointsFor(paid.amountCents), eventId: event.id };
  }
  const refunded = parseOrderEvent('RefundSucceeded', event);
  if (!refunded.reversesSale) return null;
  return { orderId: refunded.orderId, entry: 'reversal', userId: refunded.userId, points: -pointsFor(refunded.amountCents), eventId: event.id };
}

/**
 * Loyalty points: one credit per paid order and one reversal per refunded sale. The
 * (order, entry) primary key makes both idempotent by business key, whatever the event id;
 * a batch is one multi-row insert.
 */
export const pointsConsumer = defineConsumer({
  group: POINTS_GROUP,
  topics: ['orders'],
  types: ['OrderPaid', 'RefundSucceeded'],
  handler: async (event, { tx }) => {
    const entry = ledgerEntry(event);
    if (entry) await tx.insert(pointsLedger).values(entry).onConflictDoNothing();
  },
  handleBatch: async (events, { tx }) => {
    const entries = events.map(ledgerEntry).filter((entry) => entry !== null);
    if (entries.length > 0) await tx.insert(pointsLedger).values(entries).onConflictDoNothing();
  },
});
