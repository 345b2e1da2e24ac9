/**
 * Where the log lives. `postgres`: a partitioned table, offsets assigned by the relay.
 * `nats`: a NATS JetStream stream with one subject per partition; the outbox, offsets, leases,
 * processed marks, retries and dead letters stay in PostgreSQL either way.
 */
export type PipelineLog =
  | { kind: 'postgres' }
  | {
      kind: 'nats';
      /** Client URLs of the cluster's servers, e.g. `nats://10.0.0.1:4222`. */
      servers: string[];
      /** Copies of every message the cluster keeps (1 or 3 in practice); fixed when the stream is created. */
      replicas: number;
      /**
       * How long relayed outbox rows (and the stream's messages) are kept once every group has
       * consumed them: how far back an operator can republish or reset offsets.
       */
      outboxRetentionHours?: number;
      /** Stream name (default CONVEYOR_EVENTS); its subjects are `<subjectPrefix>.<partition>`. */
      stream?: string;
      subjectPrefix?: string;
    };

export const POSTGRES_LOG: PipelineLog = { kind: 'postgres' };
