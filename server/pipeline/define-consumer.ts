import type { BackoffPolicy, ConsumerDefinition } from './types';

export const DEFAULT_MAX_ATTEMPTS = 8;
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };
export const DEFAULT_BATCH_SIZE = 200;

export type ResolvedConsumer = ConsumerDefinition & Required<Pick<ConsumerDefinition, 'maxAttempts' | 'backoff' | 'batchSize' | 'concurrency'>>;

/** Declares a consumer group; the engine runs it once it is passed to `startPipeline`. */
export function defineConsumer(definition: ConsumerDefinition): ResolvedConsumer {
  const concurrency = definition.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`consumer group ${definition.group}: concurrency must be a whole number of at least 1, not ${concurrency}`);
  }
  return {
    ...definition,
    maxAttempts: definition.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    backoff: definition.backoff ?? DEFAULT_BACKOFF,
    batchSize: definition.batchSize ?? DEFAULT_BATCH_SIZE,
    concurrency,
  };
}
