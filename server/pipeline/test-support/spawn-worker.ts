import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export interface WorkerProcess {
  id: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

const script = path.resolve(import.meta.dirname, 'worker-process.ts');

/** Starts worker-process.ts and resolves once its pipeline is running. */
export async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    void exited.then((code) => reject(new Error(`worker ${env.WORKER_ID} exited (${code}) before ready: ${stderr}`)));
  });
  return { id: env.WORKER_ID!, child, exited };
}

/** SIGTERM (graceful) unless already dead; waits for the exit. */
export async function stopWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  await worker.exited;
}
