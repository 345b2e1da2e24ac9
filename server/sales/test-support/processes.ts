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

function start(script: string, env: Record<string, string>, readyWhen: (output: string) => string | null): Promise<ConveyorProcess> {
  const child = spawn(process.execPath, [tsx, script], {
    env: { ...process.env, DEMO: 'true', SIMULATORS: 'off', DEMO_ORDERS_PER_MINUTE: '0', OPS_JOBS: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
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
export async function stopProcess(running: ConveyorProcess): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGTERM');
  await running.exited;
}
