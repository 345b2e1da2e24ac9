import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDatabaseUnavailable } from '@/db/database-unavailable';
import { databaseUnavailableResponse } from '@/server/database-unavailable';

export type RequestHandler = (request: Request) => Promise<Response>;

export interface ServedHandler {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

async function toRequest(incoming: IncomingMessage, origin: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD';
  return new Request(new URL(incoming.url ?? '/', origin), { method: incoming.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined });
}

async function writeResponse(response: Response, outgoing: ServerResponse) {
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  outgoing.end(Buffer.from(await response.arrayBuffer()));
}

/**
 * Serves fetch-style handlers (the simulators, the payment notification handler) from a
 * plain node:http server on a free 127.0.0.1 port, so tests and tools reach them over
 * real HTTP without starting Next.js. Same handlers the app routes mount.
 */
export async function serveRequestHandler(handler: RequestHandler, options: { port?: number } = {}): Promise<ServedHandler> {
  let origin = '';
  const server = createServer((incoming, outgoing) => {
    toRequest(incoming, origin)
      .then(handler)
      .then((response) => writeResponse(response, outgoing))
      .catch(async (error: unknown) => {
        if (outgoing.headersSent) return outgoing.destroy();
        if (isDatabaseUnavailable(error)) return writeResponse(databaseUnavailableResponse(), outgoing);
        outgoing.writeHead(500, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify({ error: 'internal', message: error instanceof Error ? error.message : String(error) }));
      });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Routes by path prefix, e.g. { '/api/sim': simulators, '/api/payments/notify': notify }. */
export function routeByPrefix(routes: Record<string, RequestHandler>): RequestHandler {
  const entries = Object.entries(routes).sort(([a], [b]) => b.length - a.length);
  return async (request) => {
    const { pathname } = new URL(request.url);
    const match = entries.find(([prefix]) => pathname === prefix || pathname.startsWith(`${prefix}/`));
    return match ? match[1](request) : Response.json({ error: 'not_found', message: `no route for ${pathname}` }, { status: 404 });
  };
}
