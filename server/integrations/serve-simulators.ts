import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDatabaseUnavailable } from '@/db/database-unavailable';
import { databaseUnavailableResponse } from '@/server/database-unavailable';

export type RequestHandler = (request: Request) => Promise<Response>;

/**
 * A POST endpoint answered without fetch's Request and Response: for a hot path, where
 * building those per request costs more than the work. Gets the body as text, answers JSON.
 */
export type PlainRoute = (request: { headers: IncomingHttpHeaders; body: string }) => Promise<{ status: number; body: unknown }>;

export interface ServedHandler {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

async function toRequest(incoming: IncomingMessage, origin: string): Promise<Request> {
  const body = await readBody(incoming);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD';
  return new Request(new URL(incoming.url ?? '/', origin), { method: incoming.method, headers, body: hasBody ? new Uint8Array(body) : undefined });
}

async function writeResponse(response: Response, outgoing: ServerResponse) {
  const body = Buffer.from(await response.arrayBuffer());
  // The whole body is in hand, so its length is known: no chunked encoding for clients to undo.
  outgoing.writeHead(response.status, { ...Object.fromEntries(response.headers), 'content-length': body.length });
  outgoing.end(body);
}

/**
 * Serves fetch-style handlers (the simulators, the payment notification handler) from a
 * plain node:http server on a free 127.0.0.1 port, so tests and tools reach them over
 * real HTTP without starting Next.js. Same handlers the app routes mount. `plainRoutes`
 * (exact paths) are answered first, without the fetch conversion.
 */
export async function serveRequestHandler(
  handler: RequestHandler,
  options: { port?: number; plainRoutes?: Record<string, PlainRoute> } = {},
): Promise<ServedHandler> {
  let origin = '';
  const plainRoutes = new Map(Object.entries(options.plainRoutes ?? {}));
  const server = createServer((incoming, outgoing) => {
    const fail = async (error: unknown) => {
      if (outgoing.headersSent) outgoing.destroy();
      else if (isDatabaseUnavailable(error)) await writeResponse(databaseUnavailableResponse(), outgoing);
      else writeJson(outgoing, 500, { error: 'internal', message: error instanceof Error ? error.message : String(error) });
    };
    const plainRoute = plainRoutes.get(pathOf(incoming.url));
    if (plainRoute) {
      if (incoming.method !== 'POST') return void writeJson(outgoing, 405, { error: 'method_not_allowed', message: `${incoming.method} is not allowed here: POST a JSON body` });
      readBody(incoming)
        .then((body) => plainRoute({ headers: incoming.headers, body: body.toString('utf8') }))
        .then((answer) => writeJson(outgoing, answer.status, answer.body))
        .catch(fail);
      return;
    }
    toRequest(incoming, origin)
      .then(handler)
      .then((response) => writeResponse(response, outgoing))
      .catch(fail);
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

function pathOf(url: string | undefined): string {
  const path = url ?? '/';
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

function writeJson(outgoing: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  outgoing.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  outgoing.end(text);
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
