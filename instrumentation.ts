/**
 * Next.js calls `register` once as the console's server starts: the OpenTelemetry SDK is
 * started there, on the Node.js runtime only, and only when an OTLP endpoint is set.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startTracing } = await import('@/server/tracing/start-tracing');
  startTracing('conveyor-console');
}
