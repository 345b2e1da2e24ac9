'use client';

import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useCan } from '@/components/actor';
import { BulkActionDialog, BulkOutcome, useBulkAction } from '@/components/bulk-action';
import { CursorPager, useCursorStack } from '@/components/cursor-pager';
import { EmptyState } from '@/components/empty-state';
import { ConsumerGroupOptions } from '@/components/consumer-group-options';
import { FilterForm } from '@/components/filter-form';
import { formatTime, groupLabel } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { SelectAllCell, SelectRowCell } from '@/components/row-selection';
import { useTRPC } from '@/components/trpc';
import { useUrlFilters } from '@/components/use-url-filters';
import { filterKeys, listInput } from './failed-pushes-query';

type Selection = { ids: number[] } | { filter: { group: string } };
type Kind = 'retryNow' | 'giveUp';

export function FailedPushesTable() {
  const trpc = useTRPC();
  const canAct = useCan('oncall');
  const [filters, setFilters] = useUrlFilters(filterKeys);
  const pages = useCursorStack<number>();
  const bulk = useBulkAction<Kind, Selection>({ invalidates: trpc.failedPushes.pathKey() });
  const { selected, setSelected, pending } = bulk;

  const query = useQuery({
    ...trpc.failedPushes.list.queryOptions(listInput(filters, pages.cursor)),
    placeholderData: keepPreviousData,
    refetchInterval: 3_000,
  });
  const preview = useQuery({ ...trpc.failedPushes.preview.queryOptions(pending?.selection ?? { ids: [0] }), enabled: pending !== null });
  const retryNow = useMutation(
    trpc.failedPushes.retryNow.mutationOptions({
      onSuccess: (result) => bulk.finish(`${result.retried} delivery(ies) will be attempted again within seconds.`),
    }),
  );
  const giveUp = useMutation(
    trpc.failedPushes.giveUp.mutationOptions({
      onSuccess: (result) => bulk.finish(`${result.deadLettered} delivery(ies) moved to dead letters.`),
    }),
  );
  const mutation = pending?.kind === 'giveUp' ? giveUp : retryNow;

  function open(kind: Kind, selection: Selection, description: string) {
    bulk.open({ kind, selection, description }, [retryNow, giveUp]);
  }
  const rows = query.data?.rows ?? [];

  return (
    <>
      <FilterForm filters={filters} setFilters={setFilters} pages={pages} onApply={() => setSelected([])} updatedAt={query.dataUpdatedAt}>
        <label className="field">
          Group
          <select name="group" defaultValue={filters.group}>
            <ConsumerGroupOptions allLabel="any" />
          </select>
        </label>
        <label className="field">
          Event type
          <input name="type" defaultValue={filters.type} placeholder="e.g. OrderPaid" />
        </label>
        <label className="field">
          Order id
          <input name="key" defaultValue={filters.key} placeholder="ord_…" />
        </label>
      </FilterForm>
      <BulkOutcome outcome={bulk.outcome} />
      {canAct && (
        <div className="row panel">
          <button type="button" disabled={selected.length === 0} onClick={() => open('retryNow', { ids: selected }, `the ${selected.length} selected`)}>
            Retry selected now ({selected.length})
          </button>
          <button
            type="button"
            disabled={!filters.group}
            title={filters.group ? undefined : 'Filter by a group first'}
            onClick={() => open('retryNow', { filter: { group: filters.group } }, `every retry of ${groupLabel(filters.group)}`)}
          >
            Retry all of {filters.group ? groupLabel(filters.group) : 'a group'} now…
          </button>
          <span className="spacer" />
          <button type="button" className="danger-outline" disabled={selected.length === 0} onClick={() => open('giveUp', { ids: selected }, `the ${selected.length} selected`)}>
            Give up selected…
          </button>
        </div>
      )}
      {query.isPending ? (
        <LoadingRows label="Loading failed pushes…" />
      ) : query.isError ? (
        <QueryError error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState title="No failed pushes">Every delivery went through or is in dead letters. Failures waiting for another attempt appear here.</EmptyState>
      ) : (
        <>
          <table className="data" data-testid="failed-pushes-table">
            <thead>
              <tr>
                {canAct && <SelectAllCell label="Select every row on this page" rowIds={rows.map((row) => row.id)} selected={selected} onChange={setSelected} />}
                <th>Group</th>
                <th>Order</th>
                <th>Event</th>
                <th>Attempt</th>
                <th>Next attempt</th>
                <th>Last error</th>
                <th>Third party</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-retry-id={row.id}>
                  {canAct && <SelectRowCell label={`Select retry ${row.id}`} id={row.id} selected={selected} onChange={setSelected} />}
                  <td>{groupLabel(row.group)}</td>
                  <td className="mono">
                    <Link href={`/orders/${encodeURIComponent(row.key)}`}>{row.key}</Link>
                  </td>
                  <td className="mono">{row.type}</td>
                  <td>
                    {row.attempt}
                    {row.replayOf && <div className="muted">replay of #{row.replayOf}</div>}
                  </td>
                  <td className="muted">{row.lockedBy ? 'running now' : formatTime(row.nextAttemptAt)}</td>
                  <td>
                    {row.lastError ?? '—'}
                    {row.errorClass && <div className="muted mono">{row.errorClass}</div>}
                  </td>
                  <td>{row.thirdParty ?? <span className="muted">—</span>}</td>
                  <td>
                    {canAct && (
                      <div className="row">
                        <button type="button" onClick={() => open('retryNow', { ids: [row.id] }, `the delivery of ${row.type} for ${row.key}`)}>
                          Retry now
                        </button>
                        <button type="button" className="danger-outline" onClick={() => open('giveUp', { ids: [row.id] }, `the delivery of ${row.type} for ${row.key}`)}>
                          Give up
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <CursorPager stack={pages} nextCursor={query.data.nextCursor} />
        </>
      )}
      <BulkActionDialog
        bulk={bulk}
        preview={preview}
        mutation={mutation}
        title={pending?.kind === 'giveUp' ? 'Give up: send to dead letters' : 'Retry now'}
        danger={pending?.kind === 'giveUp'}
        confirmLabel={pending?.kind === 'giveUp' ? 'Give up' : 'Retry now'}
        onConfirm={(action, reason, requestId) => mutation.mutate({ ...action.selection, reason, requestId })}
      >
        {(action, counted, count) => (
          <>
            <p style={{ margin: '0 0 6px' }}>
              {action.kind === 'giveUp' ? 'Stops retrying and moves to dead letters' : 'Makes due now (same delivery, the next run counts as the next attempt)'}{' '}
              {count} delivery(ies): {action.description}. Those running at this moment are left alone.
            </p>
            <ul className="sample">
              {counted.sample.map((row) => (
                <li key={row.id} className="mono">
                  {row.group} {row.type} {row.key} — attempt {row.attempt}: {row.lastError}
                </li>
              ))}
            </ul>
          </>
        )}
      </BulkActionDialog>
    </>
  );
}
