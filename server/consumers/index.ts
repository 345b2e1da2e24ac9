import type { ConsumerDefinition } from '@/server/pipeline';
import { analyticsConsumer } from './analytics';
import { couponsConsumer } from './coupons';
import { defaultConsumerDependencies, type ConsumerDependencies } from './dependencies';
import { fulfilmentConsumer } from './fulfilment';
import { notificationsConsumer } from './notifications';
import { pointsConsumer } from './points';
import { refundsConsumer } from './refunds';
import { saleClockConsumer, saleOrdersConsumer } from './sale-orders';
import { saleOrdersPerSecond } from '@/server/sales/sale-settings';
import { timeoutsConsumer } from './timeouts';

/** The downstream systems of the order domain, one consumer group each, and the flash sales' order creation and clock. */
export function createOrderConsumers(dependencies: ConsumerDependencies): ConsumerDefinition[] {
  return [
    pointsConsumer,
    couponsConsumer,
    notificationsConsumer(dependencies),
    fulfilmentConsumer(dependencies),
    refundsConsumer(dependencies),
    timeoutsConsumer,
    analyticsConsumer,
    saleOrdersConsumer({ ordersPerSecond: dependencies.saleOrdersPerSecond ?? saleOrdersPerSecond() }),
    saleClockConsumer,
  ];
}

/** Every consumer group the pipeline runs, talking to the third parties configured by env. */
export const consumers: ConsumerDefinition[] = createOrderConsumers(defaultConsumerDependencies());
