import type { Executor } from '@/db/client';
import { type BatchEvent, readBatch } from './read-batch';

/**
 * Where a consumer runner reads its batches: the PostgreSQL log table, or the NATS stream. The
 * batch is a prefix of each leased partition from its committed offset either way, and the
 * runner commits it in PostgreSQL either way; a source only learns how that went.
 */
export interface LogSource {
  read(input: { group: string; workerId: string; limit: number }): Promise<BatchEvent[]>;
  /** The batch's transaction committed its processed marks and offsets. */
  committed(batch: BatchEvent[]): void;
  /** The batch's transaction rolled back: its events are to be read again, in order. */
  rolledBack(batch: BatchEvent[]): void;
  /** The worker gave these partitions up. */
  released(partitions: number[]): Promise<void>;
  close(): Promise<void>;
}

export function postgresLogSource(db: Executor): LogSource {
  return {
    read: (input) => readBatch(db, input),
    committed: () => {},
    rolledBack: () => {},
    released: async () => {},
    close: async () => {},
  };
}
