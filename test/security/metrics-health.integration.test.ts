import { beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '@/server/auth/create-user';
import { createTestDatabase } from '@/test/database';

/**
 * The console's /api/metrics and /api/health (the order API's are tried in storefront.integration.test.ts):
 * metrics only for the bearer of METRICS_TOKEN when one is set; health details only for it or a signed-in session.
 */
const { db, url } = await createTestDatabase({ max: 4 });
const METRICS_TOKEN = 'console-metrics-test-token-0123456789';
const APP_URL = 'http://localhost:3998';
type Route = (request: Request) => Promise<Response>;
let routes: { health: Route; metrics: Route; signIn: Route };

beforeAll(async () => {
  // The console routes' process-wide database and settings, as the console process has them.
  process.env.DATABASE_URL = url;
  process.env.APP_URL = APP_URL;
  process.env.AUTH_SECRET = 'metrics-health-test-auth-secret-0123456789';
  process.env.METRICS_TOKEN = METRICS_TOKEN;
  routes = {
    health: (await import('@/app/api/health/route')).GET as Route,
    metrics: (await import('@/app/api/metrics/route')).GET as Route,
    signIn: (await import('@/app/api/auth/[...all]/route')).POST as Route,
  };
});

const get = (route: Route, path: string, headers: Record<string, string> = {}) => route(new Request(`${APP_URL}${path}`, { headers }));

async function signedInCookie(): Promise<string> {
  await createUser(db, { email: 'viewer@health.test', name: 'Viewer', role: 'viewer', password: 'long-enough-1' });
  const response = await routes.signIn(
    new Request(`${APP_URL}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: APP_URL },
      body: JSON.stringify({ email: 'viewer@health.test', password: 'long-enough-1' }),
    }),
  );
  expect(response.status).toBe(200);
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}

describe('the console for the operator', () => {
  it('serves /api/metrics only with Authorization: Bearer $METRICS_TOKEN, and to anyone while none is set', async () => {
    const anonymous = await get(routes.metrics, '/api/metrics');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('METRICS_TOKEN') });
    expect((await get(routes.metrics, '/api/metrics', { authorization: 'Bearer a-wrong-metrics-token' })).status).toBe(401);
    const operator = await get(routes.metrics, '/api/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(operator.status).toBe(200);
    expect(await operator.text()).toContain('process_cpu_user_seconds_total');
    delete process.env.METRICS_TOKEN;
    try {
      expect((await get(routes.metrics, '/api/metrics')).status).toBe(200);
    } finally {
      process.env.METRICS_TOKEN = METRICS_TOKEN;
    }
  });

  it('tells anonymous /api/health callers only ok, and the details to the metrics token or a signed-in session', async () => {
    const details = { ok: true, database: 'reachable', migrations: 'current' };
    const anonymous = await get(routes.health, '/api/health');
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ ok: true });
    expect(await (await get(routes.health, '/api/health', { authorization: `Bearer ${METRICS_TOKEN}` })).json()).toEqual(details);
    expect(await (await get(routes.health, '/api/health', { cookie: await signedInCookie() })).json()).toEqual(details);
    expect(await (await get(routes.health, '/api/health', { cookie: 'better-auth.session_token=forged.value' })).json()).toEqual({ ok: true });
  });
});
