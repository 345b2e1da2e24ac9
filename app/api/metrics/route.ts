import { metricsRegistry } from '@/server/ops/metrics';

export const dynamic = 'force-dynamic';

export async function GET() {
  return new Response(await metricsRegistry.metrics(), { headers: { 'content-type': metricsRegistry.contentType } });
}
