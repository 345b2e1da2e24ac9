import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { DomainError } from '@/server/errors';
import type { ApiRoute } from './api-route';
import { orderApiRoutes } from './order-api-routes';
import { serveHttp, type ServedHttp } from './serve-http';

const handled: { path: string; params: Record<string, string>; body: string }[] = [];
const routes: ApiRoute[] = [
  {
    method: 'POST',
    path: '/api/things',
    async handle(request) {
      handled.push({ path: request.path, params: request.params, body: await request.text() });
      return { status: 201, body: { ok: true } };
    },
  },
  {
    method: 'POST',
    path: '/api/things/:thingId/poke',
    async handle(request) {
      handled.push({ path: request.path, params: request.params, body: await request.text() });
      return { status: 202, body: { poked: request.params.thingId } };
    },
  },
  {
    method: 'POST',
    path: '/api/refused',
    handle: async () => {
      throw new DomainError('CONFLICT', 'Order o1 is SHIPPED; it can no longer be cancelled.');
    },
  },
  {
    method: 'POST',
    path: '/api/broken',
    handle: async () => {
      throw new TypeError('a bug');
    },
  },
];

let server: ServedHttp;
beforeAll(async () => {
  server = await serveHttp({ routes, maxBodyBytes: 1_024, prefixes: { '/api/sim': async (request) => Response.json({ simulated: new URL(request.url).pathname }) } });
});
afterAll(() => server.close());

describe('the order API server', () => {
  it('routes by path and method, decoding path parameters', async () => {
    handled.length = 0;
    const created = await fetch(`${server.url}/api/things`, { method: 'POST', body: '{"a":1}' });
    expect(created.status).toBe(201);
    const poked = await fetch(`${server.url}/api/things/${encodeURIComponent('a b')}/poke`, { method: 'POST', body: '' });
    expect(await poked.json()).toEqual({ poked: 'a b' });
    expect(handled).toEqual([
      { path: '/api/things', params: {}, body: '{"a":1}' },
      { path: '/api/things/a%20b/poke', params: { thingId: 'a b' }, body: '' },
    ]);
  });

  it('refuses a body over the limit with 413 before the handler sees it', async () => {
    handled.length = 0;
    const response = await fetch(`${server.url}/api/things`, { method: 'POST', body: 'x'.repeat(2_048) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'body_too_large', message: expect.stringContaining('1024 bytes') });
    expect(handled).toEqual([]);
  });

  it('says which methods a known path takes, and that an unknown path has no route', async () => {
    const wrongMethod = await fetch(`${server.url}/api/things`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    const unknown = await fetch(`${server.url}/api/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not_found', message: 'no route GET /api/nothing-here' });
  });

  it('answers a domain error a handler throws with its status and message, and anything else with a 500 that says what to do', async () => {
    const refused = await fetch(`${server.url}/api/refused`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ error: 'conflict', message: 'Order o1 is SHIPPED; it can no longer be cancelled.' });
    const broken = await fetch(`${server.url}/api/broken`, { method: 'POST' });
    expect(broken.status).toBe(500);
    expect(await broken.json()).toMatchObject({ error: 'internal', message: expect.stringContaining('Try again') });
  });

  it('hands paths under a prefix to its fetch handler', async () => {
    expect(await (await fetch(`${server.url}/api/sim/payment/payments`)).json()).toEqual({ simulated: '/api/sim/payment/payments' });
  });
});

describe('one implementation of each endpoint', () => {
  /** Route paths the console (Next.js) serves under app/api, as `/api/a/[b]` → `/api/a/:b`. */
  function consoleApiPaths(directory = 'app/api'): string[] {
    const found: string[] = [];
    for (const entry of readdirSync(directory)) {
      const full = path.join(directory, entry);
      if (statSync(full).isDirectory()) found.push(...consoleApiPaths(full));
      else if (/^route\.tsx?$/.test(entry)) found.push(`/${path.relative('app', directory).split(path.sep).map((part) => part.replace(/^\[(?:\.\.\.)?(.+)\]$/, ':$1')).join('/')}`);
    }
    return found;
  }

  it('the console serves none of the order API, beyond its own health and metrics', () => {
    const orderApi = new Set(orderApiRoutes({} as Database).map((route) => route.path));
    const perProcess = new Set(['/api/health', '/api/metrics']);
    expect(consoleApiPaths().filter((route) => orderApi.has(route) && !perProcess.has(route))).toEqual([]);
    expect(consoleApiPaths().some((route) => route.startsWith('/api/sim'))).toBe(false);
  });
});
