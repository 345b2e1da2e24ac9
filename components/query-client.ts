import { QueryClient } from '@tanstack/react-query';
import superjson from 'superjson';

/**
 * The console's QueryClient settings, shared by the browser's client and the server's prefetch:
 * what the server dehydrates is serialised with the same transformer tRPC uses (dates stay dates).
 */
export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 2_000,
        // A 4xx will not fix itself by asking again.
        retry: (failures, error) => failures < 2 && !/UNAUTHORIZED|FORBIDDEN|NOT_FOUND|BAD_REQUEST/.test(String((error as { data?: { code?: string } }).data?.code)),
      },
      dehydrate: { serializeData: superjson.serialize },
      hydrate: { deserializeData: superjson.deserialize },
    },
  });
}
