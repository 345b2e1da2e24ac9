/**
 * Next.js calls `register` once as the console's server starts, on the Node.js runtime only:
 * the OpenTelemetry SDK is started there when an OTLP endpoint is set, and the recorder of the
 * calls console actions make to third parties (a refund retried, a shipment re-pushed).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startTracing } = await import('@/server/tracing/start-tracing');
  startTracing('conveyor-console');
  const [{ getDatabase }, { startCallRecorder }] = await Promise.all([import('@/db/client'), import('@/server/ops/third-party-calls')]);
  startCallRecorder({ db: getDatabase() });
}
