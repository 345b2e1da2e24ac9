'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from './trpc';

/** Open alerts in the navigation; red when one of them is critical. */
export function OpenAlertsBadge() {
  const trpc = useTRPC();
  const { data } = useQuery({ ...trpc.alerts.counts.queryOptions(), refetchInterval: 10_000 });
  if (!data?.open) return null;
  return (
    <span className={`badge nav-badge ${data.critical ? 'error' : 'pending'}`} aria-label={`${data.open} open alerts`} data-testid="open-alerts-badge">
      {data.open}
    </span>
  );
}
