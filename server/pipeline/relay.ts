import type { ReservedSql, Sql } from 'postgres';
import { OUTBOX_CHANNEL } from './channels';
import { eventsRelayed } from './pipeline-metrics';
import { relayBatch } from './relay-batch';
import { WakeSignal } from './wake-signal';

/** Session advisory lock held by the relay leader for as long as its connection lives. */
const RELAY_LEADER_LOCK = 72707002;

export interface RelayOptions {
  sql: Sql;
  partitions: number;
  batchSize: number;
  /** Longest sleep when nothing wakes the relay: the fallback when a NOTIFY is missed. */
  pollIntervalMs: number;
  /** How often a follower tries to become leader: the takeover time after a leader dies. */
  leaderRetryMs: number;
  onError: (error: unknown) => void;
}

/**
 * Every pipeline process runs a relay; one holds the leader lock and moves rows. When
 * the leader's process dies its connection closes, PostgreSQL drops the lock, and the
 * next follower to retry becomes leader.
 */
export class Relay {
  private readonly signal = new WakeSignal();
  private connection: ReservedSql | null = null;
  private leader = false;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(private readonly options: RelayOptions) {}

  get isLeader(): boolean {
    return this.leader;
  }

  async start(): Promise<void> {
    const listening = await this.options.sql.listen(OUTBOX_CHANNEL, () => this.signal.wake());
    this.unlisten = listening.unlisten;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signal.wake();
    await this.loop;
    await this.unlisten?.().catch(() => {});
    await this.resign();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const waitMs = await this.step();
        if (waitMs > 0) await this.signal.wait(waitMs);
      } catch (error) {
        if (this.stopped) return;
        this.options.onError(error);
        await this.resign({ connectionLost: isConnectionLost(error) });
        await this.signal.wait(this.options.leaderRetryMs);
      }
    }
  }

  /** One turn of the loop; returns how long to sleep before the next. */
  private async step(): Promise<number> {
    this.connection ??= await this.options.sql.reserve();
    if (!this.leader) {
      const [row] = await this.connection<{ locked: boolean }[]>`select pg_try_advisory_lock(${RELAY_LEADER_LOCK}) as locked`;
      this.leader = row!.locked;
      if (!this.leader) return this.options.leaderRetryMs;
    }
    const { moved, nextDueInMs } = await relayBatch(this.connection, this.options);
    if (moved > 0) eventsRelayed().inc(moved);
    if (moved === this.options.batchSize) return 0;
    // At least 1 ms: a due row we could not take (locked by a stuck move) must not spin us.
    return Math.max(1, Math.min(nextDueInMs ?? Infinity, this.options.pollIntervalMs));
  }

  private async resign(options: { connectionLost?: boolean } = {}): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    if (!connection) return;
    // A lost session took its lock with it. Writing to the dead reserved connection is worse than
    // useless: postgres.js 3.4.9 then throws from a setImmediate (socket null in nextWrite, upstream
    // porsager/postgres#1208), an uncaught exception that killed workers on every PostgreSQL restart.
    if (this.leader && !options.connectionLost) await connection`select pg_advisory_unlock(${RELAY_LEADER_LOCK})`.catch(() => {});
    this.leader = false;
    connection.release();
  }
}

const CONNECTION_LOST_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', '57P01', '57P02', '57P03']);

/** Whether an error (or its cause, as drizzle wraps driver errors) means the session is gone. */
export function isConnectionLost(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_LOST_CODES.has(code)) return true;
  }
  return false;
}
