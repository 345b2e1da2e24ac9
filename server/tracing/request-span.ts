import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('conveyor-http');

/**
 * Serves one order API request inside its server span, ended when the answer has gone out
 * (or the connection closed first). `serve` names the span's route once it has found it. The
 * order API is reached from the internet, so a caller's `traceparent` is not taken as the
 * parent: each request starts its own trace. With tracing off, `serve` runs as it is; a
 * request the sampler left out still runs in its (unrecorded) context, so that what it
 * appends is left out downstream too.
 */
export function traceHttpRequest(incoming: IncomingMessage, outgoing: ServerResponse, serve: (nameRoute: (template: string) => void) => void): void {
  const method = incoming.method ?? 'GET';
  const target = incoming.url ?? '/';
  const queryAt = target.indexOf('?');
  const span = tracer.startSpan(
    method,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': queryAt === -1 ? target : target.slice(0, queryAt) } },
    ROOT_CONTEXT,
  );
  if (!isSpanContextValid(span.spanContext())) return serve(() => {});
  if (span.isRecording()) {
    outgoing.once('close', () => {
      if (outgoing.writableFinished) return endWithStatus(span, outgoing.statusCode);
      span.setAttribute('error.type', 'connection_closed');
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the connection closed before the answer was sent' });
      span.end();
    });
  }
  context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
    serve((template) => {
      span.updateName(`${method} ${template}`);
      span.setAttribute('http.route', template);
    }),
  );
}

/**
 * Wraps a console route handler (the tRPC endpoint) in a server span named after the
 * procedures the request calls (a batch names several). Its parent is the active span:
 * Next.js's own request span when the SDK runs in the console.
 */
export function withTrpcSpan<Args extends unknown[]>(endpoint: string, handler: (request: Request, ...rest: Args) => Promise<Response>) {
  return (request: Request, ...rest: Args): Promise<Response> => {
    const procedures = new URL(request.url).pathname.slice(endpoint.length + 1);
    return tracer.startActiveSpan(
      `tRPC ${procedures}`,
      { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'trpc', 'rpc.method': procedures, 'http.request.method': request.method, 'http.route': endpoint } },
      async (span) => {
        try {
          const response = await handler(request, ...rest);
          endWithStatus(span, response.status);
          return response;
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          endWithStatus(span, 500);
          throw error;
        }
      },
    );
  };
}

function endWithStatus(span: Span, status: number): void {
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
