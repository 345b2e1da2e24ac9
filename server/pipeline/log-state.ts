import { type ConsumerInfo, jetstreamManager, type JetStreamManager, type MsgRequest } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { PipelineLog } from './pipeline-log';

export type StreamReplica = { name: string; current: boolean; lag: number };

export type PartitionConsumerState = {
  consumer: string;
  partition: number | null;
  /** Messages on the partition's subject not yet delivered. */
  pending: number;
  /** Delivered, not yet acked (in a batch being handled, or waiting for redelivery). */
  ackPending: number;
  /** Stream sequence up to which every message of the partition is acked. */
  ackFloor: number;
  /** How long the oldest message the consumer has not acked (delivered or not) has been in the stream; null when all are acked. */
  oldestUnackedAgeMs: number | null;
  leader: string | null;
};

export type LogState =
  | { kind: 'postgres' }
  | {
      kind: 'nats';
      stream: string;
      messages: number;
      bytes: number;
      firstSequence: number;
      lastSequence: number;
      replicas: number;
      /** False on a single server outside any cluster: there is no leader to elect. */
      clustered: boolean;
      leader: string | null;
      /** The stream's other copies and whether each is current with the leader. */
      followers: StreamReplica[];
      consumers: PartitionConsumerState[];
    };

const STREAM = 'CONVEYOR_EVENTS';
const SUBJECT_PREFIX = 'conveyor.events';
const REQUEST_TIMEOUT_MS = 2_000;

// One connection per process and cluster, kept open: the Queues screen asks every few seconds.
const connections = ((globalThis as { conveyorLogStateConnections?: Map<string, Promise<NatsConnection>> }).conveyorLogStateConnections ??= new Map());

/**
 * What the broker says about the log, for the Queues screen: the stream (messages, leader,
 * replicas in sync) and each durable consumer's delivery state, with the age of its oldest
 * unacked message. Lag, throughput and history come from PostgreSQL on either log, whose
 * committed offsets the consumers follow; this adds what only JetStream knows.
 */
export async function getLogState(log: PipelineLog): Promise<LogState> {
  if (log.kind === 'postgres') return { kind: 'postgres' };
  const stream = log.stream ?? STREAM;
  const prefix = log.subjectPrefix ?? SUBJECT_PREFIX;
  const key = log.servers.join(',');
  let connecting = connections.get(key);
  if (!connecting) {
    connecting = connect({ servers: log.servers, name: 'conveyor-console', maxReconnectAttempts: -1, timeout: REQUEST_TIMEOUT_MS });
    connections.set(key, connecting);
    connecting.catch(() => connections.delete(key));
  }
  const jsm = await jetstreamManager(await connecting, { timeout: REQUEST_TIMEOUT_MS });
  const info = await jsm.streams.info(stream);
  const listed: ConsumerInfo[] = [];
  for await (const consumer of jsm.consumers.list(stream)) listed.push(consumer);
  const now = Date.now();
  const consumers = await Promise.all(
    listed.map(async (consumer): Promise<PartitionConsumerState> => {
      const subject = consumer.config.filter_subject ?? '';
      const partition = subject.startsWith(`${prefix}.`) ? Number(subject.slice(prefix.length + 1)) : null;
      const unacked = consumer.num_pending + consumer.num_ack_pending > 0 && subject !== '';
      const oldest = unacked ? await firstUnacked(jsm, stream, subject, consumer.ack_floor.stream_seq) : null;
      return {
        consumer: consumer.name,
        partition,
        pending: consumer.num_pending,
        ackPending: consumer.num_ack_pending,
        ackFloor: consumer.ack_floor.stream_seq,
        oldestUnackedAgeMs: oldest ? Math.max(0, now - oldest.getTime()) : null,
        leader: consumer.cluster?.leader ?? null,
      };
    }),
  );
  consumers.sort((a, b) => a.consumer.localeCompare(b.consumer));
  return {
    kind: 'nats',
    stream,
    messages: info.state.messages,
    bytes: info.state.bytes,
    firstSequence: info.state.first_seq,
    lastSequence: info.state.last_seq,
    replicas: info.config.num_replicas,
    clustered: info.cluster !== undefined,
    leader: info.cluster?.leader ?? null,
    followers: (info.cluster?.replicas ?? []).map((replica) => ({ name: replica.name, current: replica.current, lag: replica.lag ?? 0 })),
    consumers,
  };
}

/**
 * When the stream stored the first message on `subject` after the consumer's ack floor: the
 * oldest one it has not acked. Server 2.9 answers STREAM.MSG.GET with `next_by_subj` (the
 * client's type for this call lists only `seq` and `last_by_subj`, hence the cast).
 */
async function firstUnacked(jsm: JetStreamManager, stream: string, subject: string, ackFloor: number): Promise<Date | null> {
  const query = { seq: ackFloor + 1, next_by_subj: subject } as unknown as MsgRequest;
  const message = await jsm.streams.getMessage(stream, query);
  return message?.time ?? null;
}
