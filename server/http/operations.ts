import type { Database } from '@/db/client';
import { checkHealth } from '@/server/ops/health';
import { metricsRegistry } from '@/server/ops/metrics';
import { anonymousHealth, carriesMetricsToken, mayReadMetrics, METRICS_UNAUTHORIZED_MESSAGE } from '@/server/ops/operator-access';
import type { ApiRoute } from './api-route';
import { problem } from './http-answer';

/**
 * GET /api/health (503 unless the database is reachable and migrations are current; what is
 * wrong only for the bearer of the metrics token) and GET /api/metrics (Prometheus text; only
 * for the bearer of the metrics token when one is configured).
 */
export function operationsRoutes(db: Database, options: { metricsToken: string | null }): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/health',
      async handle(request) {
        const health = await checkHealth(db);
        const detailed = carriesMetricsToken(request.header('authorization'), options.metricsToken);
        return { status: health.ok ? 200 : 503, body: detailed ? health : anonymousHealth(health), headers: { 'cache-control': 'no-store' } };
      },
    },
    {
      method: 'GET',
      path: '/api/metrics',
      async handle(request) {
        if (!mayReadMetrics(request.header('authorization'), options.metricsToken)) {
          return problem(401, 'unauthorized', METRICS_UNAUTHORIZED_MESSAGE, {}, { 'www-authenticate': 'Bearer realm="conveyor-metrics"' });
        }
        return { status: 200, text: await metricsRegistry.metrics(), headers: { 'content-type': metricsRegistry.contentType } };
      },
    },
  ];
}
