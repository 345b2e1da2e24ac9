'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useCan } from '@/components/actor';
import { CursorPager, useCursorStack } from '@/components/cursor-pager';
import { EmptyState } from '@/components/empty-state';
import { FilterForm } from '@/components/filter-form';
import { formatMoney, formatTime } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { SelectAllCell, SelectRowCell } from '@/components/row-selection';
import { useTRPC } from '@/components/trpc';
import { useUrlFilters } from '@/components/use-url-filters';
import { ORDER_STATUSES } from '@/shared/order-status';
import { BulkCompensation } from './bulk-compensation';
import { parseIds, searchFilterKeys, searchInput } from './orders-query';
import { StatusBadge } from './status-badge';


export function OrderSearch() {
  const trpc = useTRPC();
  const [filters, setFilters] = useUrlFilters(searchFilterKeys);
  const pages = useCursorStack<string>();
  const canAct = useCan('support');
  const [selected, setSelected] = useState<string[]>([]);
  const ids = parseIds(filters.ids);
  const query = useQuery({
    ...trpc.orders.search.queryOptions(searchInput(filters, pages.cursor)),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });

  return (
    <>
      <FilterForm
        filters={filters}
        setFilters={setFilters}
        pages={pages}
        onApply={() => setSelected([])}
        normalize={(values) => ({ ...values, ids: parseIds(values.ids).join(',') })}
        submitLabel="Search"
        updatedAt={query.dataUpdatedAt}
      >
        <label className="field wide">
          Order ids (paste one or many)
          <textarea name="ids" rows={2} defaultValue={ids.join('\n')} placeholder="ord_… (spaces, commas or one per line)" />
        </label>
        <label className="field">
          User
          <input name="user" defaultValue={filters.user} placeholder="exact user id" />
        </label>
        <label className="field">
          Status
          <select name="status" defaultValue={filters.status}>
            <option value="">any</option>
            {ORDER_STATUSES.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
        <label className="field">
          Created from
          <input name="from" type="datetime-local" defaultValue={filters.from} />
        </label>
        <label className="field">
          Created before
          <input name="to" type="datetime-local" defaultValue={filters.to} />
        </label>
      </FilterForm>

      {query.isPending ? (
        <LoadingRows label="Loading orders…" />
      ) : query.isError ? (
        <QueryError error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.orders.length === 0 ? (
        <EmptyState title="No orders match">Check the id, or widen the filters. Orders placed in the storefront appear here within a second.</EmptyState>
      ) : (
        <>
          {ids.length > 0 && (
            <div className="notice" role="status">
              Found {query.data.orders.length} of the {ids.length} pasted ids
              {query.data.orders.length < ids.length &&
                `; not found: ${ids.filter((id) => !query.data.orders.some((order) => order.id === id)).join(', ')}`}
              .
            </div>
          )}
          {canAct && ids.length > 0 && <BulkCompensation orderIds={selected} onDone={() => setSelected([])} />}
          <table className="data" data-testid="orders-table">
            <thead>
              <tr>
                {canAct && ids.length > 0 && (
                  <SelectAllCell label="Select every listed order" rowIds={query.data.orders.map((order) => order.id)} selected={selected} onChange={setSelected} />
                )}
                <th>Order</th>
                <th>User</th>
                <th>Status</th>
                <th>Total</th>
                <th>Created</th>
                <th>Last change</th>
              </tr>
            </thead>
            <tbody>
              {query.data.orders.map((order) => (
                <tr key={order.id} data-order-id={order.id}>
                  {canAct && ids.length > 0 && <SelectRowCell label={`Select order ${order.id}`} id={order.id} selected={selected} onChange={setSelected} />}
                  <td className="mono">
                    <Link href={`/orders/${encodeURIComponent(order.id)}`}>{order.id}</Link>
                  </td>
                  <td className="mono">{order.userId}</td>
                  <td>
                    <StatusBadge status={order.status} />
                  </td>
                  <td>{formatMoney(order.totalCents)}</td>
                  <td className="muted">{formatTime(order.createdAt)}</td>
                  <td className="muted">{formatTime(order.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <CursorPager stack={pages} nextCursor={query.data.nextCursor} />
        </>
      )}
    </>
  );
}
