import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const globalForMetrics = globalThis as unknown as { conveyorMetrics?: Registry };

/** The one registry behind GET /api/metrics; kept on globalThis so hot reloads do not re-register. */
export const metricsRegistry: Registry = (globalForMetrics.conveyorMetrics ??= (() => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
})());

/** Returns the metric registered under this name, creating it on first use. */
export function counter(name: string, help: string, labelNames: string[] = []): Counter {
  return (metricsRegistry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers: [metricsRegistry] });
}

export function gauge(name: string, help: string, labelNames: string[] = []): Gauge {
  return (metricsRegistry.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help, labelNames, registers: [metricsRegistry] });
}

export function histogram(name: string, help: string, labelNames: string[] = [], buckets?: number[]): Histogram {
  return (
    (metricsRegistry.getSingleMetric(name) as Histogram | undefined) ??
    new Histogram({ name, help, labelNames, buckets, registers: [metricsRegistry] })
  );
}

/** Upper bounds (seconds) of the request-duration buckets, also those of http_latency_minutes. */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const httpRequestDuration = () =>
  histogram('conveyor_http_request_duration_seconds', 'HTTP requests served, by route, method and status', ['route', 'method', 'status'], HTTP_DURATION_BUCKETS);

export const trpcCalls = () =>
  counter('conveyor_trpc_calls_total', 'tRPC procedure calls, by path, type and result code', ['path', 'type', 'code']);
