import { ORDERS_TOPIC, parseOrderEvent } from '@/server/orders/events';
import { endSoldOutSales } from '@/server/sales/end-sold-out-sales';
import { parseSaleEvent, SALES_TOPIC } from '@/server/sales/events';
import { createSaleOrders } from '@/server/sales/create-sale-orders';
import { markSaleStarted } from '@/server/sales/pause-sale';
import { endSale } from '@/server/sales/end-sale';
import { createOrderRate } from '@/server/sales/order-rate';
import { defineConsumer, type ConsumerDefinition } from '@/server/pipeline';
import { SALE_CLOCK_GROUP, SALE_ORDERS_GROUP } from './groups';

/**
 * Peak shaving: admitted attempts become orders at most `ordersPerSecond` a second per worker
 * process. A sale's events share its id as key, so one runner holds a sale's partition and the
 * cap holds for the sale across every worker.
 */
export function saleOrdersConsumer(options: { ordersPerSecond: number }): ConsumerDefinition {
  const rate = createOrderRate(options.ordersPerSecond);
  const attemptsOf = (events: Parameters<ConsumerDefinition['handler']>[0][]) =>
    events.map((event) => {
      const { saleId, attemptId } = parseSaleEvent('SaleAttemptAdmitted', event);
      return { saleId, attemptId };
    });
  return defineConsumer({
    group: SALE_ORDERS_GROUP,
    topics: [SALES_TOPIC],
    types: ['SaleAttemptAdmitted'],
    batchSize: Math.max(1, Math.min(200, Math.floor(options.ordersPerSecond / 10))),
    handler: async (event, { tx }) => {
      await rate.take(1);
      await createSaleOrders(tx, attemptsOf([event]));
    },
    handleBatch: async (events, { tx }) => {
      await rate.take(events.length);
      await createSaleOrders(tx, attemptsOf(events));
    },
  });
}

/**
 * A sale's clock: its stored state becomes live at the start time; it ends at the end time (its
 * units left go back to normal stock), or as sold out once a payment leaves no unit unpaid.
 */
export const saleClockConsumer = defineConsumer({
  group: SALE_CLOCK_GROUP,
  topics: [SALES_TOPIC, ORDERS_TOPIC],
  types: ['SaleStartDue', 'SaleTimeUp', 'OrderPaid'],
  batchSize: 200,
  handler: async (event, { tx }) => {
    if (event.type === 'SaleStartDue') await markSaleStarted(tx, parseSaleEvent('SaleStartDue', event));
    else if (event.type === 'SaleTimeUp') await endSale(tx, { saleId: parseSaleEvent('SaleTimeUp', event).saleId, reason: 'time_up' });
    else await endSoldOutSales(tx, [parseOrderEvent('OrderPaid', event).orderId]);
  },
  handleBatch: async (events, { tx }) => {
    for (const event of events) {
      if (event.type === 'SaleStartDue') await markSaleStarted(tx, parseSaleEvent('SaleStartDue', event));
      else if (event.type === 'SaleTimeUp') await endSale(tx, { saleId: parseSaleEvent('SaleTimeUp', event).saleId, reason: 'time_up' });
    }
    const paid = events.filter((event) => event.type === 'OrderPaid').map((event) => parseOrderEvent('OrderPaid', event).orderId);
    await endSoldOutSales(tx, paid);
  },
});
