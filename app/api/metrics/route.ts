import { metricsRegistry } from '@/server/ops/metrics';
import { mayReadMetrics, METRICS_UNAUTHORIZED_MESSAGE, metricsTokenSetting } from '@/server/ops/operator-access';

export const dynamic = 'force-dynamic';

export async function GET(request: Request) {
  if (!mayReadMetrics(request.headers.get('authorization'), metricsTokenSetting())) {
    return Response.json({ error: 'unauthorized', message: METRICS_UNAUTHORIZED_MESSAGE }, { status: 401, headers: { 'www-authenticate': 'Bearer realm="conveyor-metrics"' } });
  }
  return new Response(await metricsRegistry.metrics(), { headers: { 'content-type': metricsRegistry.contentType } });
}
