'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { CursorPager, useCursorStack } from '@/components/cursor-pager';
import { EmptyState } from '@/components/empty-state';
import { formatCount, formatDuration, formatMoney, groupLabel } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import { useUrlFilters } from '@/components/use-url-filters';
import { stuckFilterKeys, stuckInput } from './orders-query';
import { StatusBadge } from './status-badge';


export function StuckOrders() {
  const trpc = useTRPC();
  const [filters, setFilters] = useUrlFilters(stuckFilterKeys);
  const pages = useCursorStack<string>();
  const query = useQuery({
    ...trpc.orders.stuck.queryOptions(stuckInput(filters, pages.cursor)),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });

  if (query.isPending) return <LoadingRows label="Looking for stuck orders…" />;
  if (query.isError) return <QueryError error={query.error} onRetry={() => void query.refetch()} />;
  const { orders, pastDeadlineByStage } = query.data;

  return (
    <>
      <div className="filters panel">
        <label className="field">
          Stage
          <select value={filters.stage} onChange={(event) => (pages.reset(), setFilters({ stage: event.target.value }))}>
            <option value="">every stage</option>
            {pastDeadlineByStage.map((stage) => (
              <option key={stage.stage} value={stage.stage}>
                {stage.label}
              </option>
            ))}
          </select>
        </label>
        <form
          className="row"
          onSubmit={(event) => {
            event.preventDefault();
            pages.reset();
            setFilters({ user: String(new FormData(event.currentTarget).get('user') ?? '').trim() });
          }}
          key={filters.user}
        >
          <label className="field">
            User
            <input name="user" defaultValue={filters.user} placeholder="exact user id" />
          </label>
          <button type="submit">Apply</button>
        </form>
        <div className="stage-counts">
          {pastDeadlineByStage.map((stage) => (
            <span key={stage.stage} className="muted">
              {stage.label}: <strong>{formatCount(stage.count, stage.capped)}</strong> past {stage.deadlineMs ? formatDuration(stage.deadlineMs) : 'at once'}
            </span>
          ))}
        </div>
        <span className="spacer" />
        <UpdatedAgo at={query.dataUpdatedAt} />
      </div>
      <p className="muted">
        An order is listed when it has been in its stage longer than the stage allows, or when a delivery about it is failing right now (retrying or dead).
      </p>
      {orders.length === 0 ? (
        <EmptyState title="No stuck orders">Every order is within its stage&apos;s deadline and nothing about them is failing.</EmptyState>
      ) : (
        <>
          {pastDeadlineByStage
            .filter((stage) => orders.some((order) => order.stage === stage.stage))
            .map((stage) => (
              <section key={stage.stage} className="panel flush" aria-label={stage.label}>
                <h2 className="section-title">{stage.label}</h2>
                <table className="data" data-testid="stuck-orders-table">
                  <thead>
                    <tr>
                      <th>Order</th>
                      <th>Status</th>
                      <th>In this stage for</th>
                      <th>Total</th>
                      <th>Why (when known)</th>
                    </tr>
                  </thead>
                  <tbody>
                    {orders
                      .filter((order) => order.stage === stage.stage)
                      .map((order) => (
                        <tr key={order.id} data-order-id={order.id}>
                          <td className="mono">
                            <Link href={`/orders/${encodeURIComponent(order.id)}`}>{order.id}</Link>
                            <div className="muted">user {order.userId}</div>
                          </td>
                          <td>
                            <StatusBadge status={order.status} />
                          </td>
                          <td>{formatDuration(order.ageMs)}</td>
                          <td>{formatMoney(order.totalCents)}</td>
                          <td>
                            {order.reasons.length === 0 ? (
                              <span className="muted">nothing failing: past the stage&apos;s deadline</span>
                            ) : (
                              <ul className="reasons">
                                {order.reasons.map((reason, index) => (
                                  <li key={index}>
                                    {reason.kind === 'retrying' ? (
                                      <>
                                        <span className="badge pending">retrying</span> {groupLabel(reason.group)}, attempt {reason.attempt}: {reason.lastError ?? 'no error recorded'}
                                      </>
                                    ) : reason.kind === 'dead letter' ? (
                                      <>
                                        <span className="badge error">dead letter</span> {groupLabel(reason.group)}: {reason.lastError ?? 'no error recorded'}
                                      </>
                                    ) : (
                                      <>
                                        <span className="badge error">alert</span> {reason.title}
                                      </>
                                    )}
                                  </li>
                                ))}
                              </ul>
                            )}
                          </td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              </section>
            ))}
          <CursorPager stack={pages} nextCursor={query.data.nextCursor} />
        </>
      )}
    </>
  );
}
