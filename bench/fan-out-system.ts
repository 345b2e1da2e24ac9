import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { RunDatabase } from './bench-databases';

/** One row of the `bench:pipeline` table: a system doing the five-group fan-out. */
export interface FanOutSystem {
  /** What `BENCH_SYSTEMS` names it by. */
  id: string;
  /** The table's row label. */
  name: string;
  /** How it is set up, printed above the table. */
  setup: string;
  /** Starts it on a run's fresh database: once this resolves, its workers take events. */
  start(database: RunDatabase): Promise<RunningFanOut>;
}

export interface RunningFanOut {
  /** Appends (enqueues) events number `first` … `first + count − 1` in one transaction or call. */
  append(first: number, count: number): Promise<void>;
  /** Resolves once events 0 … `events − 1` have each been handled by every group, their rows committed. */
  untilHandled(events: number, label: string): Promise<void>;
  /** The process that appends at a fixed rate in the latency run (fan-out-child.ts role and its settings; `rate` and `total` are added). */
  producer: { role: string; settings: Record<string, unknown> };
  stop(): Promise<void>;
}

const childEntry = path.resolve(import.meta.dirname, 'fan-out-child.ts');

/** Starts a bench child (a producer, or a peer's worker process) with the same loader as this process. */
export function forkBenchChild(role: string, settings: unknown): ChildProcess {
  return fork(childEntry, [role, JSON.stringify(settings)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Resolves once the child exits with 0; rejects with its code otherwise. */
export function exited(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) {
      if (child.exitCode === 0) resolve();
      else reject(new Error(`${what} exited with ${child.exitCode}`));
      return;
    }
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${what} exited with ${code ?? signal}`))));
  });
}

/**
 * A peer's worker processes: started together, each says `ready` once it is taking jobs, and
 * stops gracefully on `stop` (finishing what it holds). A process that dies early fails the run.
 */
export async function startWorkerProcesses(role: string, count: number, settings: unknown): Promise<{ stop(): Promise<void> }> {
  const children = Array.from({ length: count }, () => forkBenchChild(role, settings));
  const ready = children.map(
    (child) =>
      new Promise<void>((resolve, reject) => {
        child.once('message', (message) => (message === 'ready' ? resolve() : reject(new Error(`${role}: ${String(message)}`))));
        child.once('exit', (code) => reject(new Error(`${role} exited with ${code} before it was ready`)));
      }),
  );
  try {
    await Promise.all(ready);
  } catch (error) {
    for (const child of children) child.kill('SIGKILL');
    throw error;
  }
  return {
    async stop() {
      await Promise.all(
        children.map((child) => {
          const done = exited(child, role);
          child.send('stop');
          return done;
        }),
      );
    },
  };
}
