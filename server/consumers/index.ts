import type { ConsumerDefinition } from '@/server/pipeline';
import { analyticsConsumer } from './analytics';
import { couponsConsumer } from './coupons';
import { defaultConsumerDependencies, type ConsumerDependencies } from './dependencies';
import { fulfilmentConsumer } from './fulfilment';
import { notificationsConsumer } from './notifications';
import { pointsConsumer } from './points';
import { refundsConsumer } from './refunds';
import { timeoutsConsumer } from './timeouts';

/** The downstream systems of the order domain, one consumer group each. */
export function createOrderConsumers(dependencies: ConsumerDependencies): ConsumerDefinition[] {
  return [
    pointsConsumer,
    couponsConsumer,
    notificationsConsumer(dependencies),
    fulfilmentConsumer(dependencies),
    refundsConsumer(dependencies),
    timeoutsConsumer,
    analyticsConsumer,
  ];
}

/** Every consumer group the pipeline runs, talking to the third parties configured by env. */
export const consumers: ConsumerDefinition[] = createOrderConsumers(defaultConsumerDependencies());
