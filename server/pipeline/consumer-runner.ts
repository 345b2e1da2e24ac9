import type { Database, Transaction } from '@/db/client';
import type { AttemptError } from '@/db/schema';
import { toAttemptError } from './attempt-error';
import { claimDueRetries, type ClaimedRetry } from './claim-due-retries';
import { claimPartitions } from './claim-partitions';
import { commitBatch, type OffsetCommit } from './commit-batch';
import { completeRetry } from './complete-retry';
import { deadLetter } from './record-dead-letters';
import type { ResolvedConsumer } from './define-consumer';
import { failRetry } from './fail-retry';
import type { PipelineHooks, PipelineMetrics } from './hooks';
import { isProcessed, markProcessed } from './mark-processed';
import { assignedPartitions } from './partition-assignment';
import type { LogSource } from './log-source';
import type { BatchEvent } from './read-batch';
import { releasePartitions } from './release-partitions';
import { scheduleRetries } from './schedule-retries';
import { traceBatchDelivery, traceDelivery } from './trace-context';
import type { PipelineEvent } from './types';
import { WakeSignal } from './wake-signal';

export interface ConsumerRunnerOptions {
  db: Database;
  consumer: ResolvedConsumer;
  workerId: string;
  partitions: number;
  leaseMs: number;
  pollIntervalMs: number;
  onError: (error: unknown) => void;
  onDeadLetter: PipelineHooks['onDeadLetter'];
  metrics: PipelineMetrics;
  /** Where the runner reads its batches; given the runner's wake-up, for sources that push. */
  source: (wake: () => void) => LogSource;
}

/**
 * Thrown out of a batch transaction when the fast path fails: by `handler` on one event
 * (whose failure then counts as its first attempt), or by `handleBatch` (no event known).
 */
class HandlerFailed extends Error {
  constructor(readonly failed: { eventId: string; error: AttemptError } | null) {
    super(failed ? `handler failed on event ${failed.eventId}` : 'batch handler failed');
  }
}

/**
 * Runs one consumer group in this process: keeps its share of the partitions leased,
 * handles log batches after the committed offsets, and runs the group's due retries.
 */
export class ConsumerRunner {
  private readonly signal = new WakeSignal();
  private held: number[] = [];
  private liveWorkers: string[] = [];
  private rebalanceDue = true;
  private retriesCheckedAt = 0;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private readonly source: LogSource;

  constructor(private readonly options: ConsumerRunnerOptions) {
    this.source = options.source(() => this.signal.wake());
  }

  get group(): string {
    return this.options.consumer.group;
  }

  get workerId(): string {
    return this.options.workerId;
  }

  start(): void {
    this.loop = this.run();
  }

  /** New events in the log, or (`retriesDue`) retries an operator made due now. */
  wake(options: { retriesDue?: boolean } = {}): void {
    if (options.retriesDue) this.retriesCheckedAt = 0;
    this.signal.wake();
  }

  /** Called on every heartbeat with the group's live workers; the loop rebalances between batches. */
  onHeartbeat(liveWorkers: string[]): void {
    this.liveWorkers = liveWorkers;
    this.rebalanceDue = true;
    this.signal.wake();
  }

  /** Finishes the batch in hand, then hands the partitions back so others need not wait for expiry. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signal.wake();
    await this.loop;
    const { db, workerId } = this.options;
    await this.source.close();
    await releasePartitions(db, { group: this.group, workerId, partitions: this.held }).catch(this.options.onError);
    this.held = [];
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        if (this.rebalanceDue) await this.rebalance();
        let busy = this.held.length > 0 && (await this.handleLogBatch());
        if (Date.now() - this.retriesCheckedAt >= this.options.pollIntervalMs) {
          this.retriesCheckedAt = Date.now();
          busy = (await this.handleDueRetries()) || busy;
        }
        if (!busy && !this.stopping) await this.signal.wait(this.options.pollIntervalMs);
      } catch (error) {
        this.options.onError(error);
        this.rebalanceDue = true;
        if (!this.stopping) await this.signal.wait(this.options.pollIntervalMs);
      }
    }
  }

  private async rebalance(): Promise<void> {
    const { db, workerId, partitions, leaseMs } = this.options;
    this.rebalanceDue = false;
    const wanted = assignedPartitions(partitions, this.liveWorkers, workerId);
    const surplus = this.held.filter((partition) => !wanted.includes(partition));
    await this.source.released(surplus);
    await releasePartitions(db, { group: this.group, workerId, partitions: surplus });
    this.held = await claimPartitions(db, { group: this.group, workerId, partitions: wanted, leaseMs });
  }

  private subscribes(event: PipelineEvent): boolean {
    const { types, topics } = this.options.consumer;
    return (types === '*' || types.includes(event.type)) && (!topics || topics.includes(event.topic));
  }

  /** Returns true when the batch was full, i.e. more is probably waiting. */
  private async handleLogBatch(): Promise<boolean> {
    const { workerId, consumer } = this.options;
    const batch = await this.source.read({ group: this.group, workerId, limit: consumer.batchSize });
    if (batch.length === 0) return false;
    let outcome: { handled: number; failures: number };
    try {
      try {
        outcome = await this.runBatch(batch, null);
      } catch (error) {
        if (!(error instanceof HandlerFailed)) throw error;
        outcome = await this.runBatch(batch, error);
      }
    } catch (error) {
      this.source.rolledBack(batch);
      throw error;
    }
    this.source.committed(batch);
    const { metrics } = this.options;
    metrics.eventsHandled(this.group, outcome.handled);
    if (outcome.failures > 0) {
      (consumer.maxAttempts <= 1 ? metrics.eventsDeadLettered : metrics.eventsRetried)(this.group, outcome.failures);
    }
    return batch.length === consumer.batchSize;
  }

  /**
   * One transaction per batch: handler effects, processed marks, failures and the offset
   * commit land together or not at all. The fast path runs handlers without savepoints;
   * if it throws, the batch is rolled back and redone with each event in a savepoint
   * (an event already known to fail goes straight to retries), so the others still commit.
   */
  private async runBatch(batch: BatchEvent[], fastPathFailure: HandlerFailed | null): Promise<{ handled: number; failures: number }> {
    const { db, workerId } = this.options;
    const due = batch.filter((event) => !event.settled && this.subscribes(event));
    return db.transaction(async (tx) => {
      const { handled, failures } = fastPathFailure
        ? await this.handleIsolated(tx, due, fastPathFailure)
        : { handled: await this.handleFast(tx, due), failures: [] };
      await this.recordFirstFailures(tx, failures);
      await commitBatch(tx, {
        group: this.group,
        workerId,
        processedEventIds: handled.map((event) => event.id),
        commits: offsetCommits(batch, handled),
      });
      return { handled: handled.length, failures: failures.length };
    });
  }

  private async handleFast(tx: Transaction, events: BatchEvent[]): Promise<BatchEvent[]> {
    const { handler, handleBatch } = this.options.consumer;
    const context = { tx, group: this.group, attempt: 1 };
    if (handleBatch) {
      try {
        if (events.length > 0) await traceBatchDelivery(events, context, () => handleBatch(events, context));
      } catch {
        throw new HandlerFailed(null);
      }
      return events;
    }
    for (const event of events) {
      try {
        await traceDelivery(event, context, () => handler(event, context));
      } catch (error) {
        throw new HandlerFailed({ eventId: event.id, error: toAttemptError(error, 1) });
      }
    }
    return events;
  }

  private async handleIsolated(
    tx: Transaction,
    events: BatchEvent[],
    fastPathFailure: HandlerFailed,
  ): Promise<{ handled: BatchEvent[]; failures: { eventId: string; error: AttemptError }[] }> {
    const handled: BatchEvent[] = [];
    const failures: { eventId: string; error: AttemptError }[] = [];
    for (const event of events) {
      if (event.id === fastPathFailure.failed?.eventId) {
        failures.push(fastPathFailure.failed);
        continue;
      }
      try {
        const delivery = { group: this.group, attempt: 1 };
        await tx.transaction((savepoint) => traceDelivery(event, delivery, () => this.options.consumer.handler(event, { tx: savepoint, ...delivery })));
        handled.push(event);
      } catch (error) {
        failures.push({ eventId: event.id, error: toAttemptError(error, 1) });
      }
    }
    return { handled, failures };
  }

  private async recordFirstFailures(tx: Transaction, failures: { eventId: string; error: AttemptError }[]): Promise<void> {
    const { consumer } = this.options;
    if (failures.length === 0) return;
    if (consumer.maxAttempts <= 1) {
      await deadLetter(
        tx,
        failures.map((failure) => ({ group: this.group, eventId: failure.eventId, errors: [failure.error], replayOf: null })),
        this.options,
      );
    } else {
      await scheduleRetries(tx, { group: this.group, backoff: consumer.backoff, failures });
    }
  }

  /** Returns true when there were due retries. */
  private async handleDueRetries(): Promise<boolean> {
    const { db, workerId, consumer, leaseMs } = this.options;
    const claimed = await claimDueRetries(db, { group: this.group, workerId, limit: consumer.batchSize, lockMs: leaseMs });
    for (const retry of claimed) {
      if (this.stopping) break;
      try {
        await this.runRetry(retry);
      } catch (error) {
        this.options.onError(error);
      }
    }
    return claimed.length > 0;
  }

  private async runRetry(retry: ClaimedRetry): Promise<void> {
    const { db, workerId, consumer } = this.options;
    const attempt = retry.attempt + 1;
    const outcome = await db.transaction(async (tx) => {
      if (await isProcessed(tx, { group: this.group, eventId: retry.event.id })) {
        await completeRetry(tx, { retryId: retry.retryId, workerId });
        return 'handled' as const;
      }
      try {
        const delivery = { group: this.group, attempt };
        await tx.transaction((savepoint) => traceDelivery(retry.event, delivery, () => consumer.handler(retry.event, { tx: savepoint, ...delivery })));
      } catch (error) {
        const failure = toAttemptError(error, attempt);
        if (attempt >= consumer.maxAttempts) {
          await completeRetry(tx, { retryId: retry.retryId, workerId });
          await deadLetter(tx, [{ group: this.group, eventId: retry.event.id, errors: [...retry.errors, failure], replayOf: retry.replayOf }], this.options);
          return 'dead' as const;
        }
        await failRetry(tx, { retryId: retry.retryId, workerId, attempt, error: failure, backoff: consumer.backoff });
        return 'retrying' as const;
      }
      await markProcessed(tx, { group: this.group, eventIds: [retry.event.id] });
      await completeRetry(tx, { retryId: retry.retryId, workerId });
      return 'handled' as const;
    });
    const { metrics } = this.options;
    const count = { handled: metrics.eventsHandled, dead: metrics.eventsDeadLettered, retrying: metrics.eventsRetried }[outcome];
    count(this.group, 1);
  }
}

/** Per partition in the batch: move the committed offset past the last event read. */
export function offsetCommits(batch: BatchEvent[], handled: BatchEvent[]): OffsetCommit[] {
  const commits = new Map<number, OffsetCommit>();
  for (const event of batch) {
    const commit = commits.get(event.partition) ?? { partition: event.partition, from: event.committedOffset, to: event.offset + 1, handled: 0 };
    commit.to = Math.max(commit.to, event.offset + 1);
    commits.set(event.partition, commit);
  }
  for (const event of handled) commits.get(event.partition)!.handled++;
  return [...commits.values()];
}
