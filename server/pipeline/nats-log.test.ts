import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { NatsLog } from './nats-log';

/** A local TCP server run by `onConnection`; its open sockets are destroyed when the file's tests end. */
async function listen(onConnection: (socket: Socket) => void): Promise<{ url: string; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `nats://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, server, sockets };
}

/** Accepts connections and never says a word: a node hung mid-election, or a port behind a stuck proxy. */
const silent = await listen(() => {});
/** Completes the NATS handshake, then answers nothing else: JetStream requests go unanswered, as with no meta leader. */
const mute = await listen((socket) => {
  socket.write('INFO {"server_id":"mute","version":"2.9.10","proto":1,"max_payload":1048576,"headers":true,"jetstream":true}\r\n');
  socket.on('data', (data) => {
    if (data.toString().includes('PING')) socket.write('PONG\r\n');
  });
});
afterAll(async () => {
  for (const { server, sockets } of [silent, mute]) {
    // The client leaves a socket that never saw the server's INFO open when it gives up on it; the peer closes it.
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

function open(url: string, retries: string[]) {
  return NatsLog.open({ kind: 'nats', servers: [url], replicas: 1 }, { retentionDays: 1, attemptMs: 300, deadlineMs: 2_000, onRetry: (error) => retries.push(String(error)) });
}

describe('opening the NATS log', () => {
  it('gives up a connection the server never answers, reports it, retries, and fails at the deadline', async () => {
    const retries: string[] = [];
    await expect(open(silent.url, retries)).rejects.toThrow(/timeout|took longer than 300 ms/);
    expect(retries.length).toBeGreaterThanOrEqual(2);
    for (const retry of retries) expect(retry).toMatch(/TimeoutError/);
  });

  it('gives up an attempt stuck after connecting (the client would wait 5 s per request), retries, and fails at the deadline', async () => {
    const retries: string[] = [];
    await expect(open(mute.url, retries)).rejects.toThrow(/took longer than 300 ms/);
    expect(retries.length).toBeGreaterThanOrEqual(2);
    for (const retry of retries) expect(retry).toMatch(/took longer than 300 ms/);
    // Each abandoned attempt closed the connection it had made.
    await expect.poll(() => mute.sockets.size, { timeout: 2_000 }).toBe(0);
  });
});
