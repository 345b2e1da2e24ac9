'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { formatTime } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { useTRPC } from '@/components/trpc';

/** The simulators' redeliveries that ran out of schedule: a merchant endpoint that never answered 2xx. */
export function GivenUpDeliveries() {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.thirdParties.givenUp.queryOptions(), refetchInterval: 30_000 });
  if (query.isPending) return <LoadingRows label="Loading given-up deliveries…" />;
  if (query.isError) return <QueryError error={query.error} onRetry={() => void query.refetch()} />;
  const rows = [
    ...query.data.notifications.map((row) => ({ key: `payment:${row.paymentId}`, kind: 'payment notification', orderId: row.orderId, url: row.notifyUrl, attempts: row.attempts, lastError: row.lastError, givenUpAt: row.givenUpAt })),
    ...query.data.callbacks.map((row) => ({ key: `wms:${row.shipmentId}`, kind: 'warehouse callback', orderId: row.orderId, url: row.callbackUrl, attempts: row.attempts, lastError: row.lastError, givenUpAt: row.givenUpAt })),
  ].sort((a, b) => b.givenUpAt.getTime() - a.givenUpAt.getTime());
  return (
    <section className="panel" aria-label="Given-up deliveries">
      <h2>Deliveries the simulators gave up on</h2>
      <p className="muted">
        Like a real provider, a simulator stops redelivering a notification or callback after its schedule (SIM_REDELIVERY_GIVE_UP_MS). Reconciliation finds the orders they leave behind.
      </p>
      {rows.length === 0 ? (
        <p className="muted" data-testid="given-up-empty">
          None: every notification and callback was acknowledged or is still being redelivered.
        </p>
      ) : (
        <table data-testid="given-up-table">
          <thead>
            <tr>
              <th>What</th>
              <th>Order</th>
              <th>Sent to</th>
              <th>Attempts</th>
              <th>Last error</th>
              <th>Gave up</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key}>
                <td>{row.kind}</td>
                <td className="mono">
                  <Link href={`/orders/${row.orderId}`}>{row.orderId}</Link>
                </td>
                <td className="mono">{row.url}</td>
                <td>{row.attempts}</td>
                <td>{row.lastError ?? '—'}</td>
                <td>{formatTime(row.givenUpAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
