import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { withBodyLimit } from '@/server/http/request-body-limit';
import { withRequestMetrics } from '@/server/ops/http-metrics';
import { maxBodyBytesSetting } from '@/server/runtime/settings';
import { withTrpcSpan } from '@/server/tracing/request-span';
import { createContext } from '@/server/trpc/context';
import { appRouter } from '@/server/trpc/root';

export const dynamic = 'force-dynamic';

const handler = withRequestMetrics(
  '/api/trpc',
  withTrpcSpan(
    '/api/trpc',
    // Before tRPC reads anything: an oversized body is refused whole, never parsed, authenticated or audited.
    withBodyLimit(maxBodyBytesSetting(), (request: Request) =>
      fetchRequestHandler({
        endpoint: '/api/trpc',
        req: request,
        router: appRouter,
        createContext: () => createContext(request.headers),
        onError({ error, path }) {
          if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`tRPC ${path} failed:`, error.cause ?? error);
        },
      }),
    ),
  ),
);

export { handler as GET, handler as POST };
