import type { Database } from '@/db/client';
import { checkHealth } from '@/server/ops/health';
import { metricsRegistry } from '@/server/ops/metrics';
import type { ApiRoute } from './api-route';

/** GET /api/health (503 unless the database is reachable and migrations are current) and GET /api/metrics (Prometheus text). */
export function operationsRoutes(db: Database): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/health',
      async handle() {
        const health = await checkHealth(db);
        return { status: health.ok ? 200 : 503, body: health };
      },
    },
    {
      method: 'GET',
      path: '/api/metrics',
      handle: async () => ({ status: 200, text: await metricsRegistry.metrics(), headers: { 'content-type': metricsRegistry.contentType } }),
    },
  ];
}
