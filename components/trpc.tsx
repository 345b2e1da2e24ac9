'use client';

import { QueryClientProvider } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { useState, type ReactNode } from 'react';
import superjson from 'superjson';
import type { AppRouter } from '@/server/trpc/root';
import { makeQueryClient } from './query-client';
import { BACKGROUND_REQUEST_HEADER, USER_ACTIVITY_WINDOW_MS } from '@/shared/session';

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

let lastUserActivity = Date.now();
if (typeof window !== 'undefined') {
  for (const event of ['pointerdown', 'keydown'] as const) window.addEventListener(event, () => void (lastUserActivity = Date.now()), { capture: true, passive: true });
}

/**
 * Requests sent while the user has not touched the page for a while are polling (auto-refresh,
 * badges): marked, so the server answers them without extending the session.
 */
function activityHeaders(): Record<string, string> {
  return Date.now() - lastUserActivity > USER_ACTIVITY_WINDOW_MS ? { [BACKGROUND_REQUEST_HEADER]: '1' } : {};
}

/** One QueryClient per browser tab, created on first render. */
export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: '/api/trpc', transformer: superjson, headers: activityHeaders })] }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
