import { connect, type Socket } from 'node:net';

/** What a server answered: its status, the Retry-After header if any, and the body. */
export interface KeepAliveAnswer {
  status: number;
  retryAfter: string | null;
  body: Buffer;
}

/**
 * The benchmarks' HTTP/1.1 client: POSTs over a pool of keep-alive connections, one
 * request per connection at a time, answering with the status code (or the whole answer). It reads only what our
 * servers send back (a status line, headers with Content-Length, a body) and spends about a
 * third of node:http's CPU per request, which on a two-core machine is CPU the server under
 * test gets back. Anything it does not understand fails the request, never the run.
 *
 * With `maxConnections`, requests beyond that many in flight wait in order for a connection to
 * come free, as a browser's or a proxy's do: a server that falls behind then sees a queue, not
 * tens of thousands of new connections (which exhaust ports and descriptors on one machine
 * and fail for reasons that are not the server's). Their time in the queue is in what the
 * caller measures.
 */
export function keepAliveClient(origin: string, options: { timeoutMs: number; maxConnections?: number }) {
  const { hostname, port } = new URL(origin);
  const maxConnections = options.maxConnections ?? Infinity;
  const idle: Connection[] = [];
  const queued: { request: Buffer; resolve: (answer: KeepAliveAnswer) => void; reject: (error: Error) => void }[] = [];
  let open = 0;

  /** A connection came free (or one closed): the oldest queued request goes next. */
  const dispatch = (free: Connection | null) => {
    const next = queued.shift();
    if (!next) {
      if (free) idle.push(free);
      return;
    }
    (free ?? new Connection()).send(next.request).then(next.resolve, next.reject);
  };

  class Connection {
    readonly socket: Socket;
    private received: Buffer = Buffer.alloc(0);
    private closed = false;
    private waiting: { resolve: (answer: KeepAliveAnswer) => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | null = null;

    constructor() {
      open++;
      this.socket = connect({ host: hostname, port: Number(port), noDelay: true });
      this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
      this.socket.on('error', (error) => this.fail(error));
      this.socket.on('close', () => this.fail(new Error('connection closed')));
    }

    send(request: Buffer): Promise<KeepAliveAnswer> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => this.fail(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { name: 'TimeoutError' })), options.timeoutMs);
        this.waiting = { resolve, reject, timer };
        this.socket.write(request);
      });
    }

    private receive(chunk: Buffer) {
      this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
      const headerEnd = this.received.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const head = this.received.subarray(0, headerEnd).toString('latin1');
      const status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!length || !Number.isInteger(status)) return this.fail(new Error(`unreadable answer: ${head.split('\r\n')[0]}`));
      const end = headerEnd + 4 + Number(length[1]);
      if (this.received.length < end) return;
      const body = this.received.subarray(headerEnd + 4, end);
      const retryAfter = /\r\nretry-after: *([^\r]*)/i.exec(head)?.[1] ?? null;
      this.received = this.received.subarray(end);
      const waiting = this.waiting;
      this.waiting = null;
      if (!waiting) return;
      clearTimeout(waiting.timer);
      waiting.resolve({ status, retryAfter, body });
      dispatch(this);
    }

    private fail(error: Error) {
      const waiting = this.waiting;
      this.waiting = null;
      const index = idle.indexOf(this);
      if (index !== -1) idle.splice(index, 1);
      this.socket.destroy();
      if (!this.closed) {
        this.closed = true;
        open--;
        if (queued.length > 0) dispatch(null);
      }
      if (waiting) {
        clearTimeout(waiting.timer);
        waiting.reject(error);
      }
    }
  }

  const answer = (request: Buffer): Promise<KeepAliveAnswer> => {
    const free = idle.pop();
    if (free || open < maxConnections) return (free ?? new Connection()).send(request);
    return new Promise((resolve, reject) => queued.push({ request, resolve, reject }));
  };

  return {
    /** The bytes of a POST, built ahead of time so that sending it costs only the write. */
    prepare(path: string, headers: Record<string, string>, body: string): Buffer {
      const payload = Buffer.from(body);
      const head = [`POST ${path} HTTP/1.1`, `host: ${hostname}:${port}`, `content-length: ${payload.length}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
      return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
    },
    async send(request: Buffer): Promise<number> {
      return (await answer(request)).status;
    },
    answer,
  };
}
