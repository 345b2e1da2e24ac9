import type { ConsumerDefinition } from '@/server/pipeline/types';

/** Every consumer group the pipeline runs; the order domain adds its groups here. */
export const consumers: ConsumerDefinition[] = [];
