import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { PipelineLog } from './pipeline-log';

type NatsSettings = Extract<PipelineLog, { kind: 'nats' }>;

const NANOS_PER_MS = 1_000_000;
/** How long a delivered, unacked message waits before JetStream offers it again. */
const ACK_WAIT_MS = 30_000;
/** A publish the relay retries within this window is recognised by its Nats-Msg-Id and stored once. */
const DUPLICATE_WINDOW_MS = 2 * 60_000;
/** How long opening the log keeps trying while the cluster cannot answer, as a worker waits for PostgreSQL. */
const OPEN_DEADLINE_MS = 120_000;
const OPEN_RETRY_MS = 500;
/**
 * One attempt to open is given up after this long: a request answered by no one normally fails
 * after the client's 5 s timeout, but a loaded machine saw an attempt neither succeed nor fail for
 * 90 s, and an attempt that never ends would keep the worker from ever retrying.
 */
const OPEN_ATTEMPT_MS = 15_000;

/** The JetStream stream carrying the log, and the durable consumers reading it (one per group × partition). */
export class NatsLog {
  private constructor(
    readonly connection: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly stream: string,
    private readonly subjectPrefix: string,
  ) {}

  /**
   * Connects and makes sure the stream exists. A worker may start while no server answers, or
   * while the cluster has no JetStream leader (a server just killed, one being elected, peers
   * still joining): it keeps trying until `deadlineMs`, reporting each failed attempt to
   * `onRetry`, instead of exiting; any other failure is thrown at once. Each attempt is bounded
   * by `attemptMs`, so a server that accepts the connection and then says nothing is retried too.
   */
  static async open(settings: NatsSettings, options: { retentionDays: number; deadlineMs?: number; attemptMs?: number; onRetry?: (error: unknown) => void }): Promise<NatsLog> {
    const deadline = Date.now() + (options.deadlineMs ?? OPEN_DEADLINE_MS);
    for (;;) {
      try {
        return await NatsLog.openWithin(options.attemptMs ?? OPEN_ATTEMPT_MS, settings, options.retentionDays);
      } catch (error) {
        if (!isClusterUnavailable(error) || Date.now() >= deadline) throw error;
        options.onRetry?.(error);
        await new Promise((resolve) => setTimeout(resolve, OPEN_RETRY_MS));
      }
    }
  }

  /** One attempt, abandoned after `ms` with a TimeoutError; the connection it made, now or later, is closed then. */
  private static openWithin(ms: number, settings: NatsSettings, retentionDays: number): Promise<NatsLog> {
    let abandoned = false;
    let connection: NatsConnection | null = null;
    const abandon = () => void connection?.close().catch(() => {});
    const attempt = NatsLog.openOnce(settings, retentionDays, ms, (opened) => {
      connection = opened;
      if (abandoned) abandon();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandoned = true;
        abandon();
        const error = new Error(`opening the NATS log took longer than ${ms} ms`);
        error.name = 'TimeoutError';
        reject(error);
      }, ms);
    });
    attempt.catch(() => {});
    return Promise.race([attempt, timeout]).finally(() => clearTimeout(timer));
  }

  private static async openOnce(settings: NatsSettings, retentionDays: number, connectMs: number, onConnected: (connection: NatsConnection) => void): Promise<NatsLog> {
    const connection = await connect({ servers: settings.servers, name: 'conveyor-pipeline', maxReconnectAttempts: -1, timeout: connectMs });
    onConnected(connection);
    try {
      const jsm = await jetstreamManager(connection);
      const log = new NatsLog(connection, jetstream(connection), jsm, settings.stream ?? 'CONVEYOR_EVENTS', settings.subjectPrefix ?? 'conveyor.events');
      await log.ensureStream(settings.replicas, retentionDays);
      return log;
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
  }

  subject(partition: number): string {
    return `${this.subjectPrefix}.${partition}`;
  }

  /**
   * Replaces the group's consumer of one partition by one that starts at `startSequence`: the
   * position lives in PostgreSQL (the committed offset), so a new lease holder, an offset reset
   * or a rolled-back batch all restart delivery from there, in stream order.
   */
  async positionConsumer(group: string, partition: number, startSequence: number): Promise<string> {
    const name = partitionConsumerName(group, partition);
    await this.jsm.consumers.delete(this.stream, name).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    await this.jsm.consumers.add(this.stream, {
      durable_name: name,
      filter_subject: this.subject(partition),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, startSequence),
      ack_wait: ACK_WAIT_MS * NANOS_PER_MS,
      max_ack_pending: 1_000,
    });
    return name;
  }

  /** Whether the stream still holds the message at `sequence`, on the partition's subject. */
  async holds(sequence: number, partition: number): Promise<boolean> {
    try {
      const message = await this.jsm.streams.getMessage(this.stream, { seq: sequence });
      return message?.subject === this.subject(partition);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.connection.drain().catch(() => this.connection.close());
  }

  private async ensureStream(replicas: number, retentionDays: number): Promise<void> {
    const config = {
      name: this.stream,
      subjects: [`${this.subjectPrefix}.*`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: replicas,
      // Kept as long as PostgreSQL keeps consumed events: a group moved back by an offset reset reads them here.
      max_age: Math.round(retentionDays * 24 * 3_600_000) * NANOS_PER_MS,
      duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
    };
    try {
      await this.jsm.streams.info(this.stream);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.jsm.streams.add(config);
    }
  }
}

/** The durable consumer reading one group's partition. Durable names allow no dots, wildcards or spaces; group names are free text. */
export function partitionConsumerName(group: string, partition: number): string {
  return `${group.replace(/[^A-Za-z0-9_-]/g, '_')}-p${partition}`;
}

/**
 * No server to connect to, a JetStream request unanswered (no meta or stream leader yet), or the
 * cluster saying it cannot place an R3 stream until its peers have reported in.
 */
function isClusterUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (['ConnectionError', 'TimeoutError', 'NoRespondersError', 'JetStreamNotEnabled'].includes(error.name)) return true;
  return /temporarily unavailable|insufficient resources|no suitable peers/i.test(error.message);
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /not found/i.test(error.message);
}
