import { problem } from './http-answer';

const tooLarge = (limit: number) => {
  const answer = problem(413, 'body_too_large', `The request body is larger than ${limit} bytes; send a smaller one.`);
  return Response.json(answer.body, { status: answer.status, headers: { connection: 'close' } });
};

/**
 * The console's counterpart of the order API's body limit (serve-http.ts): a fetch-style request
 * whose body is over `limit` bytes is answered 413 by its declared length, or, when it comes
 * chunked, as soon as the bytes read pass the limit; the rest is never read. Otherwise the
 * handler gets the request with its body already in hand.
 */
export function withBodyLimit<Args extends unknown[]>(
  limit: number,
  handler: (request: Request, ...rest: Args) => Promise<Response>,
): (request: Request, ...rest: Args) => Promise<Response> {
  return async (request, ...rest) => {
    if (!request.body) return handler(request, ...rest);
    if (Number(request.headers.get('content-length')) > limit) {
      await request.body.cancel().catch(() => {});
      return tooLarge(limit);
    }
    const reader = request.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        return tooLarge(limit);
      }
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) body.set(chunk, (at += chunk.byteLength) - chunk.byteLength);
    return handler(new Request(request.url, { method: request.method, headers: request.headers, body, signal: request.signal }), ...rest);
  };
}
