import { getDatabase } from '@/db/client';
import { checkHealth } from '@/server/ops/health';
import { withRequestMetrics } from '@/server/ops/http-metrics';

export const dynamic = 'force-dynamic';

export const GET = withRequestMetrics('/api/health', async () => {
  const health = await checkHealth(getDatabase());
  return Response.json(health, { status: health.ok ? 200 : 503 });
});
