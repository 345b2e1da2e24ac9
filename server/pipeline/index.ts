/**
 * The event engine's port: the only module outside `server/pipeline/` may import. The
 * engine knows nothing about orders; its callers append inside their own transactions,
 * register consumers, start it with their hooks, run operator commands and read state.
 */

// The contract.
export type {
  AppendEventInput,
  BackoffPolicy,
  BatchEventHandler,
  ConsumerDefinition,
  EventHandler,
  HandlerContext,
  PipelineEvent,
} from './types';

// Appending, inside the caller's transaction or statement.
export { appendEvent, appendEvents, appendEventsInStatement } from './append-event';
export { appendEventsFrom } from './append-events-from';
export { RELAY_WAKE_UP_EVERY_MS, wakeRelayAfterCommit } from './relay-wake-up';
export { OUTBOX_CHANNEL } from './channels';
export { startAppendSpan, type AppendSpan } from './trace-context';

// Consumers and the running engine.
export { defineConsumer } from './define-consumer';
export { startPipeline, type PipelineHandle, type StartPipelineOptions } from './start-pipeline';
export { POSTGRES_LOG, type PipelineLog } from './pipeline-log';
export type { DeadLetteredDelivery, PipelineHooks, PipelineMetrics } from './hooks';

// Operator commands.
export { replayDeadLetters, type ReplayDeadLettersResult } from './replay-dead-letters';
export { replayProgress, type ReplayProgress } from './replay-progress';
export { discardDeadLetters, type DiscardDeadLettersResult } from './discard-dead-letters';
export { giveUpRetries, type GiveUpRetriesResult } from './give-up-retries';
export { retryNow } from './retry-now';
export { pauseGroup } from './pause-group';
export { resumeGroup } from './resume-group';
export { republishEvents, type RepublishedEventView, type RepublishEventsResult } from './republish-events';
export { resetGroupOffsets, type OffsetResetTarget, type PartitionOffsetReset, type ResetGroupOffsetsResult } from './reset-group-offsets';
export { offsetResetProgress, type OffsetResetProgress, type RewoundRange } from './offset-reset-progress';

// Read side.
export { getLag, type GroupLag, type PartitionLag } from './lag';
export { getLagHistory, getSustainedLag, getThroughputHistory, type LagPoint } from './lag-history';
export { getThroughput, type GroupThroughput } from './throughput';
export { getLogState, type LogState, type PartitionConsumerState, type StreamReplica } from './log-state';
export { listConsumerGroups, type ConsumerGroupState } from './consumer-groups';
export {
  DEAD_LETTER_STATUSES,
  getDeadLetter,
  matchingDeadLetterIds,
  searchDeadLetters,
  type AttemptError,
  type DeadLetterDetail,
  type DeadLetterFilter,
  type DeadLetterSearch,
  type DeadLetterStatus,
  type DeadLetterView,
} from './dead-letters';
export { listRetries, matchingRetryIds, previewRetries, summarizeRetries, type RetryFilter, type RetryView } from './retries';
export { readLog, type LoggedEvent } from './read-log';
export { traceKey, type GroupDeliveryState, type GroupTrace, type TracedEvent } from './key-trace';
export {
  keyHasFailingDelivery,
  keysWithFailingDeliveries,
  listDeliveries,
  type Delivery,
  type DeliveryFilter,
  type DeliveryState,
} from './deliveries';
