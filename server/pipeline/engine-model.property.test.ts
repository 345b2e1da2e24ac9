import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff';
import { assignedPartitions } from './partition-assignment';

/**
 * The engine's delivery rules as an in-memory model, driven by the real partition
 * assignment and backoff functions: leases with expiry, offsets committed only under the
 * lease that read the batch (a fencing epoch stands in for the `lease_owner` guard),
 * processed marks committed with the effects, retries with backoff and a maximum, dead
 * letters, replays and offset resets. Random interleavings must lose nothing, handle
 * nothing twice that was not deliberately rewound, and never exceed the attempt limit.
 * The real SQL is exercised under the same faults by worker-processes.integration.test.ts
 * and by `npm run chaos` (real processes, SIGKILL, PostgreSQL restarts).
 */

const PARTITIONS = 4;
const MAX_ATTEMPTS = 3;
const LEASE_MS = 1_000;
const POLICY = { baseMs: 100, maxMs: 800 };
const WORKERS = ['w-a', 'w-b', 'w-c'];

type Action =
  | { kind: 'append'; key: number }
  | { kind: 'claim'; worker: number }
  | { kind: 'read'; worker: number; partition: number }
  | { kind: 'handle'; worker: number; failMask: number }
  | { kind: 'crash'; worker: number }
  | { kind: 'restart'; worker: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'retry'; worker: number; ok: boolean }
  | { kind: 'replay' }
  | { kind: 'reset'; partition: number; back: number };

const worker = fc.nat({ max: WORKERS.length - 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('append' as const), key: fc.nat({ max: 9 }) }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('claim' as const), worker }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('read' as const), worker, partition: fc.nat({ max: PARTITIONS - 1 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('handle' as const), worker, failMask: fc.nat({ max: 255 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('crash' as const), worker }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('restart' as const), worker }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1_500 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('retry' as const), worker, ok: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('replay' as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reset' as const), partition: fc.nat({ max: PARTITIONS - 1 }), back: fc.integer({ min: 1, max: 5 }) }), weight: 1 },
);

interface Lease {
  owner: string | null;
  expiresAt: number;
  epoch: number;
}
interface Batch {
  partition: number;
  epoch: number;
  fromOffset: number;
  events: number[];
}
interface Retry {
  event: number;
  attempt: number;
  dueAt: number;
}

class EngineModel {
  now = 0;
  log: number[][] = Array.from({ length: PARTITIONS }, () => []);
  committed = Array.from({ length: PARTITIONS }, () => 0);
  leases: Lease[] = Array.from({ length: PARTITIONS }, () => ({ owner: null, expiresAt: 0, epoch: 0 }));
  alive = new Set(WORKERS);
  inFlight = new Map<string, Batch>();
  retries: Retry[] = [];
  processed = new Set<number>();
  dead = new Set<number>();
  handled = new Map<number, number>();
  /** Handler runs an offset reset deliberately asked for, per event. */
  rewound = new Map<number, number>();
  maxAttemptSeen = 0;
  nextEvent = 0;
  random: () => number;

  constructor(seed: number) {
    let state = seed >>> 0 || 1;
    this.random = () => ((state = (state * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32);
  }

  append(key: number) {
    this.log[key % PARTITIONS]!.push(this.nextEvent++);
  }

  claim(workerId: string) {
    if (!this.alive.has(workerId)) return;
    const wanted = assignedPartitions(PARTITIONS, [...this.alive], workerId);
    for (const partition of wanted) {
      const lease = this.leases[partition]!;
      if (lease.owner === null || lease.owner === workerId || lease.expiresAt <= this.now) {
        if (lease.owner !== workerId) lease.epoch++;
        lease.owner = workerId;
        lease.expiresAt = this.now + LEASE_MS;
      }
    }
  }

  holds(workerId: string, partition: number, epoch?: number) {
    const lease = this.leases[partition]!;
    return lease.owner === workerId && lease.expiresAt > this.now && (epoch === undefined || lease.epoch === epoch);
  }

  read(workerId: string, partition: number) {
    if (!this.alive.has(workerId) || this.inFlight.has(workerId) || !this.holds(workerId, partition)) return;
    const fromOffset = this.committed[partition]!;
    const events = this.log[partition]!.slice(fromOffset, fromOffset + 5);
    if (events.length > 0) this.inFlight.set(workerId, { partition, epoch: this.leases[partition]!.epoch, fromOffset, events });
  }

  run(event: number) {
    this.handled.set(event, (this.handled.get(event) ?? 0) + 1);
    this.processed.add(event);
  }

  /** One transaction: effects, processed marks, retries for failures and the offset, or nothing. */
  handle(workerId: string, failMask: number) {
    const batch = this.inFlight.get(workerId);
    if (!batch) return;
    this.inFlight.delete(workerId);
    if (!this.holds(workerId, batch.partition, batch.epoch) || this.committed[batch.partition] !== batch.fromOffset) return;
    batch.events.forEach((event, index) => {
      if (this.processed.has(event) || this.dead.has(event) || this.retries.some((retry) => retry.event === event)) return;
      if (failMask & (1 << index)) this.fail(event, 1);
      else this.run(event);
    });
    this.committed[batch.partition] = batch.fromOffset + batch.events.length;
  }

  fail(event: number, attempt: number) {
    this.maxAttemptSeen = Math.max(this.maxAttemptSeen, attempt);
    if (attempt >= MAX_ATTEMPTS) {
      this.dead.add(event);
      return;
    }
    const delay = retryDelayMs(POLICY, attempt, this.random);
    const exponential = Math.min(POLICY.maxMs, POLICY.baseMs * 2 ** (attempt - 1));
    expect(delay).toBeGreaterThanOrEqual(exponential / 2);
    expect(delay).toBeLessThanOrEqual(exponential);
    this.retries.push({ event, attempt: attempt + 1, dueAt: this.now + delay });
  }

  retry(workerId: string, ok: boolean) {
    if (!this.alive.has(workerId)) return;
    const index = this.retries.findIndex((retry) => retry.dueAt <= this.now);
    if (index < 0) return;
    const [retry] = this.retries.splice(index, 1);
    if (ok) this.run(retry!.event);
    else this.fail(retry!.event, retry!.attempt);
  }

  crash(workerId: string) {
    this.alive.delete(workerId);
    this.inFlight.delete(workerId);
  }

  replay() {
    const [event] = this.dead;
    if (event === undefined) return;
    this.dead.delete(event);
    this.retries.push({ event, attempt: 1, dueAt: this.now });
  }

  /** Moving back clears the processed marks of the rewound events, except those a retry owns. */
  reset(partition: number, back: number) {
    const to = Math.max(0, this.committed[partition]! - back);
    for (const event of this.log[partition]!.slice(to, this.committed[partition])) {
      if (this.retries.some((retry) => retry.event === event) || this.dead.has(event)) continue;
      if (this.processed.delete(event)) this.rewound.set(event, (this.rewound.get(event) ?? 0) + 1);
    }
    this.committed[partition] = to;
  }

  apply(step: Action) {
    switch (step.kind) {
      case 'append':
        return this.append(step.key);
      case 'claim':
        return this.claim(WORKERS[step.worker]!);
      case 'read':
        return this.read(WORKERS[step.worker]!, step.partition);
      case 'handle':
        return this.handle(WORKERS[step.worker]!, step.failMask);
      case 'crash':
        return this.crash(WORKERS[step.worker]!);
      case 'restart':
        return void this.alive.add(WORKERS[step.worker]!);
      case 'tick':
        this.now += step.ms;
        return;
      case 'retry':
        return this.retry(WORKERS[step.worker]!, step.ok);
      case 'replay':
        return this.replay();
      case 'reset':
        return this.reset(step.partition, step.back);
    }
  }

  /** Faults stop: every worker comes back, handlers succeed, time moves on until nothing is left. */
  drain() {
    for (const id of WORKERS) this.alive.add(id);
    for (let round = 0; round < 10_000; round++) {
      this.now += LEASE_MS + POLICY.maxMs;
      for (const id of WORKERS) this.claim(id);
      let progressed = false;
      for (const id of WORKERS) {
        this.inFlight.delete(id);
        for (let partition = 0; partition < PARTITIONS; partition++) {
          this.read(id, partition);
          if (this.inFlight.has(id)) {
            this.handle(id, 0);
            progressed = true;
          }
        }
      }
      while (this.retries.length > 0) {
        this.retry(WORKERS[0]!, true);
        progressed = true;
      }
      if (!progressed && this.committed.every((offset, partition) => offset === this.log[partition]!.length)) return;
    }
    throw new Error('the model did not drain');
  }
}

describe('engine delivery rules as a model', () => {
  it('live workers with one view of each other split the partitions exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 }), (partitions, workers) => {
        const held = workers.flatMap((id) => assignedPartitions(partitions, workers, id));
        expect(held.sort((a, b) => a - b)).toEqual(Array.from({ length: partitions }, (_, partition) => partition));
        const counts = workers.map((id) => assignedPartitions(partitions, workers, id).length);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 1_000 },
    );
  });

  it('random interleavings of append, claim, handle, fail, crash, lease expiry, replay and offset reset lose nothing and handle nothing twice', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 120 }), fc.integer(), (actions, seed) => {
        const model = new EngineModel(seed);
        for (const step of actions) {
          model.apply(step);
          for (const [event, times] of model.handled) expect(times, `event ${event} handled too often`).toBeLessThanOrEqual(1 + (model.rewound.get(event) ?? 0));
          expect(model.maxAttemptSeen).toBeLessThanOrEqual(MAX_ATTEMPTS);
        }
        model.drain();
        for (let event = 0; event < model.nextEvent; event++) {
          const done = model.processed.has(event);
          const dead = model.dead.has(event);
          expect(done !== dead, `event ${event}: processed ${done}, dead-lettered ${dead}`).toBe(true);
          expect(model.handled.get(event) ?? 0).toBe(done ? 1 + (model.rewound.get(event) ?? 0) : model.handled.get(event) ?? 0);
        }
      }),
      { numRuns: 1_000, interruptAfterTimeLimit: 45_000, markInterruptAsFailure: false },
    );
  });
});
