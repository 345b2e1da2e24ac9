import type { Sql } from 'postgres';
import { openDedicatedSession } from '@/db/dedicated-session';
import { OUTBOX_CHANNEL } from './channels';
import type { PipelineMetrics } from './hooks';
import type { RelayBatchResult } from './relay-batch';
import { recordRelaySpans } from './trace-context';
import { WakeSignal } from './wake-signal';

/** Session advisory lock held by the relay leader for as long as its connection lives. */
const RELAY_LEADER_LOCK = 72707002;

export interface RelayOptions {
  sql: Sql;
  batchSize: number;
  /** Moves up to `batchSize` due outbox rows into the log, in the leader's session. */
  moveBatch: (session: Sql) => Promise<RelayBatchResult>;
  /** Longest sleep when nothing wakes the relay: the fallback when a NOTIFY is missed. */
  pollIntervalMs: number;
  /** While rows keep coming the relay polls this often instead of waiting for a NOTIFY. */
  busyPollMs: number;
  /** How long after it last moved rows the relay keeps polling at `busyPollMs`. */
  busyWindowMs: number;
  /** How often a follower tries to become leader: the takeover time after a leader dies. */
  leaderRetryMs: number;
  onError: (error: unknown) => void;
  metrics: PipelineMetrics;
}

/**
 * Every pipeline process runs a relay; one holds the leader lock and moves rows. When
 * the leader's process dies its connection closes, PostgreSQL drops the lock, and the
 * next follower to retry becomes leader.
 *
 * The lock lives in a session of the relay's own (db/dedicated-session.ts), not in a connection
 * reserved from the pool: postgres.js wrote the next batch to a reserved connection whose backend
 * had died (an uncaught exception that killed workers on every PostgreSQL restart,
 * porsager/postgres#1208), and a reservation made while the server restarts can hang. The
 * session's client reconnects by itself and reports each close, which is how the relay knows
 * that the session holding its lock is gone.
 */
export class Relay {
  private readonly signal = new WakeSignal();
  private session: Sql | null = null;
  /** Closes of the session's connection so far; the lock belongs to the session it was taken in. */
  private sessionCloses = 0;
  private leaderSession: number | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private lastMovedAt = 0;

  constructor(private readonly options: RelayOptions) {}

  get isLeader(): boolean {
    return this.leaderSession !== null && this.leaderSession === this.sessionCloses;
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
        await this.resign();
        await this.signal.wait(this.options.leaderRetryMs);
      }
    }
  }

  /** One turn of the loop; returns how long to sleep before the next. */
  private async step(): Promise<number> {
    const session = (this.session ??= this.openSession());
    if (!this.isLeader) {
      this.leaderSession = null;
      // A close is counted synchronously, before postgres.js reconnects, so a query sent while the
      // count is unchanged runs in the session that count names.
      const closes = this.sessionCloses;
      const [row] = await session<{ locked: boolean }[]>`select pg_try_advisory_lock(${RELAY_LEADER_LOCK}) as locked`;
      if (!row!.locked || closes !== this.sessionCloses) return this.options.leaderRetryMs;
      this.leaderSession = closes;
    }
    const startedAt = Date.now();
    const { moved, nextDueInMs, traced } = await this.options.moveBatch(session);
    if (traced.length > 0) recordRelaySpans(traced, startedAt, Date.now());
    if (moved > 0) {
      this.options.metrics.eventsRelayed(moved);
      this.lastMovedAt = Date.now();
    }
    if (moved === this.options.batchSize) return 0;
    // Producers wake the relay once per burst (relay-wake-up.ts): during one, it looks again soon.
    const busy = Date.now() - this.lastMovedAt < this.options.busyWindowMs;
    // At least 1 ms: a due row we could not take (locked by a stuck move) must not spin us.
    return Math.max(1, Math.min(nextDueInMs ?? Infinity, busy ? this.options.busyPollMs : this.options.pollIntervalMs));
  }

  private openSession(): Sql {
    const session = openDedicatedSession(this.options.sql, {
      onClose: () => {
        // A session already resigned may report its close late; only the current one counts.
        if (this.session === session) this.sessionCloses++;
      },
    });
    return session;
  }

  /** Ends the session, which releases the lock with it, also when the server is gone. */
  private async resign(): Promise<void> {
    const session = this.session;
    this.session = null;
    this.leaderSession = null;
    await session?.end({ timeout: 1 }).catch(() => {});
  }
}
