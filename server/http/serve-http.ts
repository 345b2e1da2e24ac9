import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpRequestDuration } from '@/server/ops/metrics';
import { traceHttpRequest } from '@/server/tracing/request-span';
import type { ApiRequest, ApiRoute } from './api-route';
import { problem, problemFor, type HttpAnswer } from './http-answer';
import { ORDER_API_SECURITY_HEADERS } from './security-headers';

/** A fetch-style handler, for what is served under a path prefix (the third-party simulators). */
export type FetchHandler = (request: Request) => Promise<Response>;

export interface ServeHttpOptions {
  routes?: readonly ApiRoute[];
  /** Fetch handlers by path prefix, e.g. `{ '/api/sim': simulators.handler }`; tried after `routes`. */
  prefixes?: Record<string, FetchHandler>;
  port?: number;
  /** Default 127.0.0.1; `0.0.0.0` to be reached from other machines. */
  host?: string;
  /** Bodies over this many bytes are refused with 413 before they are read whole (default 1 MiB). */
  maxBodyBytes?: number;
  /** Held longer than load balancers' 60 s idle timeout, so they, not we, close idle connections. */
  keepAliveTimeoutMs?: number;
  /** Connections the kernel queues before they are accepted (Node's default 511); a burst above it is reset. */
  backlog?: number;
}

export interface ServedHttp {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body over ${limit} bytes`);
  }
}

interface CompiledRoute {
  route: ApiRoute;
  pattern: RegExp;
  names: string[];
}

function compile(route: ApiRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/**
 * The order API's HTTP server on node:http. Static paths are found in one map lookup (the
 * payment notification is the hot path), paths with parameters by pattern; every answer is
 * timed into `conveyor_http_request_duration_seconds` by route template, and served in a
 * server span when tracing is on.
 */
export async function serveHttp(options: ServeHttpOptions): Promise<ServedHttp> {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const byPath = new Map<string, CompiledRoute[]>();
  const patterned: CompiledRoute[] = [];
  for (const route of options.routes ?? []) {
    const compiled = compile(route);
    if (compiled.names.length === 0) byPath.set(route.path, [...(byPath.get(route.path) ?? []), compiled]);
    else patterned.push(compiled);
  }
  const prefixes = Object.entries(options.prefixes ?? {}).sort(([a], [b]) => b.length - a.length);
  let origin = '';

  function findRoute(path: string, method: string): { route: CompiledRoute | null; values: string[]; allowed: string[] } {
    const allowed: string[] = [];
    for (const candidate of byPath.get(path) ?? []) {
      if (candidate.route.method === method) return { route: candidate, values: [], allowed };
      allowed.push(candidate.route.method);
    }
    for (const candidate of patterned) {
      const found = candidate.pattern.exec(path);
      if (!found) continue;
      if (candidate.route.method === method) return { route: candidate, values: found.slice(1), allowed };
      allowed.push(candidate.route.method);
    }
    return { route: null, values: [], allowed };
  }

  const server = createServer((incoming, outgoing) =>
    traceHttpRequest(incoming, outgoing, (nameRoute) => {
      const target = incoming.url ?? '/';
      const queryAt = target.indexOf('?');
      const path = queryAt === -1 ? target : target.slice(0, queryAt);
      const method = incoming.method ?? 'GET';
      for (const [name, value] of Object.entries(ORDER_API_SECURITY_HEADERS)) outgoing.setHeader(name, value);

      /** Answers what a handler threw: 413 for a body over the limit, a domain error or outage by its kind, else 500. Returns the status. */
      const fail = (error: unknown): number => {
        if (outgoing.headersSent) {
          outgoing.destroy();
          return 500;
        }
        if (error instanceof BodyTooLarge) {
          writeAnswer(outgoing, problem(413, 'body_too_large', `The request body is larger than ${error.limit} bytes; send a smaller one.`), { connection: 'close' });
          incoming.destroy();
          return 413;
        }
        const known = problemFor(error);
        if (known) {
          writeAnswer(outgoing, known);
          return known.status;
        }
        console.error(`[order-api] ${method} ${path} failed:`, error);
        writeAnswer(outgoing, problem(500, 'internal', 'The request failed on our side. Try again; if it keeps failing, the order API log says why.'));
        return 500;
      };

      const match = findRoute(path, method);
      if (match.route) {
        const { route, names } = match.route;
        nameRoute(route.path);
        const stopTimer = httpRequestDuration().startTimer({ route: route.path, method });
        const params: Record<string, string> = {};
        try {
          names.forEach((name, index) => (params[name] = decodeURIComponent(match.values[index]!)));
        } catch {
          stopTimer({ status: '400' });
          return void writeAnswer(outgoing, problem(400, 'bad_request', `path ${path} is not validly encoded`));
        }
        const request: ApiRequest = {
          method,
          path,
          query: new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1)),
          params,
          headers: incoming.headers,
          peerAddress: incoming.socket.remoteAddress ?? null,
          header: (name) => headerValue(incoming.headers[name]),
          text: () => readBody(incoming, maxBodyBytes).then((body) => body.toString('utf8')),
        };
        route
          .handle(request)
          .then((answer) => {
            stopTimer({ status: String(answer.status) });
            writeAnswer(outgoing, answer);
          })
          .catch((error: unknown) => stopTimer({ status: String(fail(error)) }));
        return;
      }
      if (match.allowed.length > 0) {
        const allowed = [...new Set(match.allowed)].join(', ');
        return void writeAnswer(outgoing, problem(405, 'method_not_allowed', `${method} is not allowed on ${path}; use ${allowed}.`), { allow: allowed });
      }
      const prefix = prefixes.find(([candidate]) => path === candidate || path.startsWith(`${candidate}/`));
      if (!prefix) return void writeAnswer(outgoing, problem(404, 'not_found', `no route ${method} ${path}`));
      nameRoute(`${prefix[0]}/*`);
      toRequest(incoming, origin, maxBodyBytes)
        .then(prefix[1])
        .then((response) => writeResponse(response, outgoing))
        .catch((error: unknown) => void fail(error));
  }),
  );
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  // Above keepAliveTimeout, as Node requires for the keep-alive timer to be the one that fires.
  server.headersTimeout = server.keepAliveTimeout + 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', options.backlog ?? 511, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address}:${address.port}`;
  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

const headerValue = (value: string | string[] | undefined): string | null => (typeof value === 'string' ? value : null);

function readBody(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(incoming.headers['content-length']);
  if (declared > limit) return Promise.reject(new BodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        incoming.removeAllListeners('data');
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    incoming.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

function writeAnswer(outgoing: ServerResponse, answer: HttpAnswer, extraHeaders: Record<string, string> = {}) {
  const text = answer.text ?? JSON.stringify(answer.body ?? null);
  outgoing.writeHead(answer.status, {
    'content-type': 'application/json',
    ...answer.headers,
    ...extraHeaders,
    'content-length': Buffer.byteLength(text),
  });
  outgoing.end(text);
}

async function toRequest(incoming: IncomingMessage, origin: string, limit: number): Promise<Request> {
  const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD';
  const body = hasBody ? await readBody(incoming, limit) : undefined;
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  return new Request(new URL(incoming.url ?? '/', origin), { method: incoming.method, headers, body: body ? new Uint8Array(body) : undefined });
}

async function writeResponse(response: Response, outgoing: ServerResponse) {
  const body = Buffer.from(await response.arrayBuffer());
  // The whole body is in hand, so its length is known: no chunked encoding for clients to undo.
  outgoing.writeHead(response.status, { ...Object.fromEntries(response.headers), 'content-length': body.length });
  outgoing.end(body);
}
