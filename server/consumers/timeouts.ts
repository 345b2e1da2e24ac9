import { closeUnpaidOrder } from '@/server/orders/close-order';
import { parseOrderEvent } from '@/server/orders/events';
import { defineConsumer } from '@/server/pipeline';
import { TIMEOUTS_GROUP } from './groups';

/** Closes an order whose delayed OrderPaymentTimeout came due while it was still unpaid; a paid order is left alone. */
export const timeoutsConsumer = defineConsumer({
  group: TIMEOUTS_GROUP,
  topics: ['orders'],
  types: ['OrderPaymentTimeout'],
  // One close per transaction: releasing stock locks SKU rows, and a batch would hold them
  // across several orders, in no particular SKU order (deadlocks with create-order).
  batchSize: 1,
  handler: async (event, { tx }) => {
    await closeUnpaidOrder(tx, parseOrderEvent('OrderPaymentTimeout', event).orderId);
  },
});
