import type { Executor, Transaction } from '@/db/client';

/**
 * The engine's public contract. The order domain and the consumers depend on these
 * shapes only; a second engine (a distributed broker) implements the same ones.
 */

export interface AppendEventInput<Payload = unknown> {
  /** Stream name, e.g. `orders`. */
  topic: string;
  /** Ordering key (the aggregate id). Events with one key are delivered in append order. */
  key: string;
  /** Event type, e.g. `OrderPaid`. */
  type: string;
  payload: Payload;
  headers?: Record<string, string>;
  /** Deliver no earlier than this time (delayed message). */
  deliverAt?: Date;
}

export interface PipelineEvent<Payload = unknown> {
  /** Stable id of the event: the same across retries and replays; use it as an idempotency key. */
  id: string;
  topic: string;
  key: string;
  type: string;
  payload: Payload;
  headers: Record<string, string>;
  createdAt: Date;
  partition: number;
  offset: number;
}

export interface HandlerContext {
  /**
   * The transaction the engine commits together with the `processed(group, event)` mark:
   * database side effects written through it happen exactly once.
   */
  tx: Transaction;
  group: string;
  /** 1 on first delivery, then counts retries. */
  attempt: number;
}

export type EventHandler = (event: PipelineEvent, context: HandlerContext) => Promise<void>;

/** Handles several events of one partition batch at once, e.g. with one multi-row insert. */
export type BatchEventHandler = (events: PipelineEvent[], context: HandlerContext) => Promise<void>;

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export interface ConsumerDefinition {
  group: string;
  /** Event types this group handles; other events are skipped (and their offsets committed). */
  types: readonly string[] | '*';
  topics?: readonly string[];
  handler: EventHandler;
  /**
   * Optional fast path: called once per batch (in partition order per key) in the batch's
   * transaction. If it throws, the batch is rolled back and redone with `handler` event by
   * event, so only the failing events go to retries. Retries always use `handler`.
   */
  handleBatch?: BatchEventHandler;
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  batchSize?: number;
  /**
   * Runners of this group in each worker process (default 1). Each leases its own share of
   * the partitions, so a group whose handler waits on a slow third party handles that many
   * batches at once. Order per key still holds: a partition belongs to one runner at a time.
   */
  concurrency?: number;
}

export type { Executor };
