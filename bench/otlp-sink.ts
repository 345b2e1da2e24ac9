import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in OpenTelemetry collector for benchmarks: accepts OTLP/HTTP exports on
 * /v1/traces, answers 200 with an empty (valid) protobuf response, and counts what arrived,
 * so a run with tracing on pays for real span export over HTTP.
 */
export async function startOtlpSink(): Promise<{ url: string; received: () => { requests: number; bytes: number }; close: () => Promise<void> }> {
  let requests = 0;
  let bytes = 0;
  const server = createServer((incoming, outgoing) => {
    incoming.on('data', (chunk: Buffer) => (bytes += chunk.length));
    incoming.on('end', () => {
      if (incoming.url === '/v1/traces') requests++;
      outgoing.writeHead(incoming.url === '/v1/traces' ? 200 : 404, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
      outgoing.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => ({ requests, bytes }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
