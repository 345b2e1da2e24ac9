import { closeUnpaidOrder } from '@/server/orders/close-order';
import { parseOrderEvent } from '@/server/orders/events';
import { defineConsumer } from '@/server/pipeline/define-consumer';

/** Closes an order whose delayed OrderPaymentTimeout came due while it was still unpaid; a paid order is left alone. */
export const timeoutsConsumer = defineConsumer({
  group: 'timeouts',
  topics: ['orders'],
  types: ['OrderPaymentTimeout'],
  handler: async (event, { tx }) => {
    await closeUnpaidOrder(tx, parseOrderEvent('OrderPaymentTimeout', event).orderId);
  },
});
