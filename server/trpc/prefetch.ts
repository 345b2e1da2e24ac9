import 'server-only';
import { dehydrate, type DehydratedState, type QueryClient } from '@tanstack/react-query';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { headers } from 'next/headers';
import { makeQueryClient } from '@/components/query-client';
import { createContext } from './context';
import { appRouter } from './root';

type ServerTrpc = ReturnType<typeof createTRPCOptionsProxy<typeof appRouter>>;

/**
 * Runs a screen's first queries on the server, through the router with the caller's own session
 * (so roles and errors are exactly those of /api/trpc), and returns them dehydrated for a
 * HydrationBoundary: the screen's HTML comes with its rows instead of a loading line and a
 * round trip. A query that fails is left out, so the browser asks again and shows the error
 * the way it always does.
 */
export async function prefetchScreen(queries: (trpc: ServerTrpc, queryClient: QueryClient) => Promise<void>[]): Promise<DehydratedState> {
  const queryClient = makeQueryClient();
  const requestHeaders = await headers();
  const trpc = createTRPCOptionsProxy({ ctx: () => createContext(requestHeaders), router: appRouter, queryClient });
  await Promise.all(queries(trpc, queryClient));
  return dehydrate(queryClient);
}
