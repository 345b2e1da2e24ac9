import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@/db/embedded';

/** A documented process (`npm run order-api`, `npm run worker`) started as a child, as an operator starts it. */
export interface ConveyorProcess {
  child: ChildProcess;
  /** What it printed once ready: the order API's URL, or the worker's line. */
  ready: string;
  exited: Promise<number | null>;
}

const tsx = path.resolve('node_modules/tsx/dist/cli.mjs');

/**
 * tsx runs the script in a node process of its own, so a signal to the child alone would kill
 * tsx and leave the script serving: each child leads a process group, and signals go to the
 * group. Groups still running when the test process exits go with it.
 */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) signalGroup(child, 'SIGKILL');
});

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is gone already
  }
}

function start(script: string, env: Record<string, string>, readyWhen: (output: string) => string | null): Promise<ConveyorProcess> {
  const child = spawn(process.execPath, [tsx, script], {
    env: { ...process.env, DEMO: 'true', SIMULATORS: 'off', DEMO_ORDERS_PER_MINUTE: '0', OPS_JOBS: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Waits for the whole group, not just tsx: the script is what holds ports, leases and sessions.
  void exited.then(() => running.delete(child));
  let output = '';
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = readyWhen(output);
      if (ready) resolve({ child, ready, exited });
    });
    void exited.then((code) => reject(new Error(`${script} exited (${code}) before it was ready: ${errors}`)));
  });
}

/** `npm run order-api` on a free port; resolves with its URL once it serves. */
export async function startOrderApiProcess(env: Record<string, string>) {
  return start('server/cli/order-api.ts', { ORDER_API_PORT: String(await freePort()), ...env }, (output) => {
    const line = output.split('\n').find((candidate) => candidate.startsWith('{"orderApi"'));
    return line ? (JSON.parse(line) as { orderApi: string }).orderApi : null;
  });
}

/** `npm run worker`; resolves once its consumer groups run. */
export function startWorkerProcess(env: Record<string, string>) {
  return start('server/cli/worker.ts', env, (output) => output.split('\n').find((line) => line.includes('consumer group(s)')) ?? null);
}

/** SIGTERM (graceful) unless already dead; waits for the exit. */
export async function stopProcess(target: ConveyorProcess): Promise<void> {
  if (target.child.exitCode === null && target.child.signalCode === null) signalGroup(target.child, 'SIGTERM');
  await target.exited;
}

/** SIGKILL to the script and tsx alike, as a crash or `kill -9` of the process group would; waits until tsx is reaped. */
export async function killProcess(target: ConveyorProcess): Promise<void> {
  signalGroup(target.child, 'SIGKILL');
  await target.exited;
}
