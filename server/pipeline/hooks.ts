import type { Executor } from '@/db/client';

/** A delivery that has just become a dead letter, as the `onDeadLetter` hook sees it. */
export interface DeadLetteredDelivery {
  deadLetterId: number;
  group: string;
  eventId: string;
  lastError: string | null;
}

/** Counters and gauges the engine reports to; calls are synchronous and must not throw. */
export interface PipelineMetrics {
  eventsRelayed(count: number): void;
  eventsHandled(group: string, count: number): void;
  eventsRetried(group: string, count: number): void;
  eventsDeadLettered(group: string, count: number): void;
  groupLag(group: string, lag: number): void;
}

/**
 * What the process that runs the engine plugs into it (alerting, metrics): the engine
 * depends on these shapes, never on the modules that implement them.
 */
export interface PipelineHooks {
  /**
   * Called inside the transaction that records the dead letters, so what it writes (an
   * alert) commits or rolls back with them.
   */
  onDeadLetter?: (tx: Executor, deadLetters: DeadLetteredDelivery[]) => Promise<void>;
  metrics?: Partial<PipelineMetrics>;
}

const ignore = () => {};

/** The metrics sink with every missing method a no-op. */
export function resolveMetrics(metrics: Partial<PipelineMetrics> = {}): PipelineMetrics {
  return {
    eventsRelayed: metrics.eventsRelayed ?? ignore,
    eventsHandled: metrics.eventsHandled ?? ignore,
    eventsRetried: metrics.eventsRetried ?? ignore,
    eventsDeadLettered: metrics.eventsDeadLettered ?? ignore,
    groupLag: metrics.groupLag ?? ignore,
  };
}
