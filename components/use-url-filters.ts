'use client';

import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useMemo } from 'react';
import { readUrlFilters } from './url-filters';

/** Filters kept in the URL, so a filtered view can be pasted into a ticket. */
export function useUrlFilters<Key extends string>(keys: readonly Key[]) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const filters = useMemo(
    () => readUrlFilters(keys, (key) => searchParams.get(key)),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [searchParams, keys.join()],
  );
  const setFilters = useCallback(
    (next: Partial<Record<Key, string>>) => {
      const params = new URLSearchParams(searchParams.toString());
      for (const [key, value] of Object.entries(next) as [Key, string | undefined][]) {
        if (value) params.set(key, value);
        else params.delete(key);
      }
      const query = params.toString();
      router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [router, pathname, searchParams],
  );
  return [filters, setFilters] as const;
}
