import { describe, expect, it } from 'vitest';
import { GET as metricsRoute } from '@/app/api/metrics/route';
import { withRequestMetrics } from './http-metrics';

describe('GET /api/metrics', () => {
  it('serves process and HTTP request metrics in Prometheus text format', async () => {
    const handler = withRequestMetrics('/api/example', async () => new Response('no', { status: 409 }));
    await handler(new Request('http://localhost/api/example', { method: 'POST' }));

    const response = await metricsRoute(new Request('http://localhost/api/metrics'));
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/conveyor_http_request_duration_seconds_count\{route="\/api\/example",method="POST",status="409"\} 1/);
  });
});
