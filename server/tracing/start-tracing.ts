import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace-node';

export type ServiceName = 'conveyor-order-api' | 'conveyor-console' | 'conveyor-worker';

export interface Tracing {
  /** Exports what is still buffered and unregisters the SDK. */
  shutdown(): Promise<void>;
}

/** Whether this process exports traces: an OTLP endpoint is set, and the SDK is not disabled. */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry SDK for one of Conveyor's processes: spans are exported over OTLP
 * (http/protobuf) to OTEL_EXPORTER_OTLP_ENDPOINT, configured by the standard OTEL_* variables
 * (endpoint, headers, timeout, sampler, batch sizes, OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES). With no endpoint set it starts nothing and returns null, so the
 * spans the code opens are the API's no-ops and no trace context is stored with events.
 * `spanProcessor` replaces the exporter and `sampler` the one OTEL_TRACES_SAMPLER names, for
 * tests that read the spans in memory.
 */
export function startTracing(serviceName: ServiceName, options: { spanProcessor?: SpanProcessor; sampler?: Sampler } = {}): Tracing | null {
  if (!options.spanProcessor && !tracingEnabled()) return null;
  const spanProcessor = options.spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({
    // The environment's service.name, when given, wins over the process's own.
    resource: resourceFromAttributes({ 'service.name': serviceName }).merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: [spanProcessor],
    ...(options.sampler && { sampler: options.sampler }),
  });
  // The W3C trace-context propagator and an AsyncLocalStorage context manager, process-wide.
  provider.register();
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
