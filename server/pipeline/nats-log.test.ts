import { createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { NatsLog } from './nats-log';

/** A server that accepts connections and never says a word: a NATS node hung mid-election, or a black-holed port. */
const sockets = new Set<Socket>();
const silent = createServer((socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
const address = silent.address();
const url = `nats://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
afterAll(async () => {
  // The client leaves a socket that never saw the server's INFO open when it gives up on it; the peer closes it.
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe('opening the NATS log', () => {
  it('gives up an attempt that never ends, reports it, retries, and fails at the deadline', async () => {
    const retries: string[] = [];
    const opening = NatsLog.open({ kind: 'nats', servers: [url], replicas: 1 }, { retentionDays: 1, attemptMs: 300, deadlineMs: 2_000, onRetry: (error) => retries.push(String(error)) });
    await expect(opening).rejects.toThrow(/timeout|took longer than 300 ms/);
    expect(retries.length).toBeGreaterThanOrEqual(2);
    for (const retry of retries) expect(retry).toMatch(/TimeoutError/);
  });
});
