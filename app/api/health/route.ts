import { getDatabase } from '@/db/client';
import { sessionActor } from '@/server/auth/session-actor';
import { checkHealth } from '@/server/ops/health';
import { withRequestMetrics } from '@/server/ops/http-metrics';
import { anonymousHealth, carriesMetricsToken, metricsTokenSetting } from '@/server/ops/operator-access';

export const dynamic = 'force-dynamic';

/** What is wrong is for staff: the bearer of the metrics token, or a signed-in session (unknowable while the database is down). */
async function mayReadDetails(request: Request): Promise<boolean> {
  if (carriesMetricsToken(request.headers.get('authorization'), metricsTokenSetting())) return true;
  return (await sessionActor(request.headers).catch(() => null)) !== null;
}

export const GET = withRequestMetrics('/api/health', async (request: Request) => {
  const health = await checkHealth(getDatabase());
  const body = (await mayReadDetails(request)) ? health : anonymousHealth(health);
  return Response.json(body, { status: health.ok ? 200 : 503, headers: { 'cache-control': 'no-store' } });
});
