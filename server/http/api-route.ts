import type { IncomingHttpHeaders } from 'node:http';
import type { HttpAnswer } from './http-answer';

/** A request to the order API as its handlers see it; the body is read only when asked for. */
export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Named path segments, e.g. `orderId` for `/api/orders/:orderId/refund`. */
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The address the connection came from (the nearest hop; see server/auth/client-address.ts). */
  peerAddress: string | null;
  header(name: string): string | null;
  /** The whole body as UTF-8; refused with 413 past the server's body limit. */
  text(): Promise<string>;
}

export interface ApiRoute {
  method: 'GET' | 'POST';
  /** e.g. `/api/orders/:orderId/refund`; also the `route` label of the request metrics. */
  path: string;
  handle(request: ApiRequest): Promise<HttpAnswer>;
}
