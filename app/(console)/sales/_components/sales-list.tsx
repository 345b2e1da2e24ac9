'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { EmptyState } from '@/components/empty-state';
import { formatMoney, formatTime } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import { useUrlFilters } from '@/components/use-url-filters';
import { SALE_STATES, type SaleState } from '@/shared/sales';
import { SaleStateBadge } from './sale-state-badge';

const filterKeys = ['state'] as const;

export function SalesList() {
  const trpc = useTRPC();
  const [filters, setFilters] = useUrlFilters(filterKeys);
  const state = (SALE_STATES as readonly string[]).includes(filters.state) ? (filters.state as SaleState) : undefined;
  const sales = useQuery({ ...trpc.sales.list.queryOptions({ limit: 200 }), placeholderData: keepPreviousData, refetchInterval: 5_000 });
  const shown = sales.data?.filter((sale) => !state || sale.state === state);

  return (
    <>
      <form className="filters panel" onSubmit={(event) => event.preventDefault()}>
        <label className="field">
          State
          <select aria-label="Sale state" value={filters.state} onChange={(event) => setFilters({ state: event.target.value })}>
            <option value="">any</option>
            {SALE_STATES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <span className="spacer" />
        <UpdatedAgo at={sales.dataUpdatedAt} />
      </form>
      {sales.isPending ? (
        <LoadingRows label="Loading sales…" />
      ) : sales.isError ? (
        <QueryError error={sales.error} onRetry={() => void sales.refetch()} />
      ) : shown!.length === 0 ? (
        <EmptyState title={state ? `No ${state} sales` : 'No sales yet'}>
          {state ? 'Choose “any” to see every sale.' : 'An admin defines a sale below: its units come off the SKU’s stock when it is armed and go back when it ends.'}
        </EmptyState>
      ) : (
        <table className="data" data-testid="sales">
          <thead>
            <tr>
              <th>Sale</th>
              <th>State</th>
              <th>SKU</th>
              <th>Units left / armed</th>
              <th>Sold</th>
              <th>Price</th>
              <th>Per buyer</th>
              <th>Starts</th>
              <th>Ends</th>
            </tr>
          </thead>
          <tbody>
            {shown!.map((sale) => (
              <tr key={sale.id}>
                <td>
                  <Link href={`/sales/${encodeURIComponent(sale.id)}`}>{sale.name}</Link>
                  <div className="mono muted">{sale.id}</div>
                </td>
                <td>
                  <SaleStateBadge state={sale.state} endReason={sale.endReason} />
                </td>
                <td className="mono">{sale.sku}</td>
                <td>
                  {sale.units.left.toLocaleString()} / {sale.units.armed.toLocaleString()}
                </td>
                <td>{sale.units.sold.toLocaleString()}</td>
                <td>{formatMoney(sale.priceCents)}</td>
                <td>{sale.perBuyerLimit}</td>
                <td className="mono">{formatTime(sale.startsAt)}</td>
                <td className="mono">{formatTime(sale.endsAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
