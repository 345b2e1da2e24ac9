'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { useCan } from '@/components/actor';
import { CursorPager, useCursorStack } from '@/components/cursor-pager';
import { EmptyState } from '@/components/empty-state';
import { ConsumerGroupOptions } from '@/components/consumer-group-options';
import { formatTime, groupLabel } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import { useUrlFilters } from '@/components/use-url-filters';

const filterKeys = ['group', 'type', 'key'] as const;
type Selection = { ids: number[] } | { filter: { group: string } };
interface PendingAction {
  kind: 'retryNow' | 'giveUp';
  selection: Selection;
  description: string;
}

export function FailedPushesTable() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canAct = useCan('oncall');
  const [filters, setFilters] = useUrlFilters(filterKeys);
  const pages = useCursorStack<number>();
  const [selected, setSelected] = useState<number[]>([]);
  const [pending, setPending] = useState<PendingAction | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);

  const query = useQuery({
    ...trpc.failedPushes.list.queryOptions({
      filter: { group: filters.group || undefined, eventType: filters.type || undefined, key: filters.key || undefined },
      cursor: pages.cursor,
      limit: 50,
    }),
    placeholderData: keepPreviousData,
    refetchInterval: 3_000,
  });
  const preview = useQuery({ ...trpc.failedPushes.preview.queryOptions(pending?.selection ?? { ids: [0] }), enabled: pending !== null });
  const refresh = async () => {
    setSelected([]);
    setPending(null);
    await queryClient.invalidateQueries({ queryKey: trpc.failedPushes.pathKey() });
  };
  const retryNow = useMutation(
    trpc.failedPushes.retryNow.mutationOptions({
      onSuccess: async (result) => (setOutcome(`${result.retried} delivery(ies) will be attempted again within seconds.`), await refresh()),
    }),
  );
  const giveUp = useMutation(
    trpc.failedPushes.giveUp.mutationOptions({
      onSuccess: async (result) => (setOutcome(`${result.deadLettered} delivery(ies) moved to dead letters.`), await refresh()),
    }),
  );
  const mutation = pending?.kind === 'giveUp' ? giveUp : retryNow;

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    pages.reset();
    setSelected([]);
    setFilters(Object.fromEntries(filterKeys.map((key) => [key, String(form.get(key) ?? '').trim()])));
  }
  function open(kind: PendingAction['kind'], selection: Selection, description: string) {
    retryNow.reset();
    giveUp.reset();
    setOutcome(null);
    setPending({ kind, selection, description });
  }
  const rows = query.data?.rows ?? [];

  return (
    <>
      <form className="filters panel" onSubmit={apply} key={JSON.stringify(filters)}>
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
        <button className="primary" type="submit">
          Filter
        </button>
        <button type="button" onClick={() => (pages.reset(), setFilters({ group: '', type: '', key: '' }))}>
          Clear
        </button>
        <span className="spacer" />
        <UpdatedAgo at={query.dataUpdatedAt} />
      </form>
      {outcome && (
        <div className="notice" role="status">
          {outcome}
        </div>
      )}
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
                {canAct && (
                  <th>
                    <input
                      type="checkbox"
                      aria-label="Select every row on this page"
                      checked={rows.every((row) => selected.includes(row.id))}
                      onChange={(event) => setSelected(event.target.checked ? rows.map((row) => row.id) : [])}
                    />
                  </th>
                )}
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
                  {canAct && (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select retry ${row.id}`}
                        checked={selected.includes(row.id)}
                        onChange={(event) => setSelected(event.target.checked ? [...selected, row.id] : selected.filter((id) => id !== row.id))}
                      />
                    </td>
                  )}
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
      <ReasonDialog
        open={pending !== null}
        title={pending?.kind === 'giveUp' ? 'Give up: send to dead letters' : 'Retry now'}
        danger={pending?.kind === 'giveUp'}
        preview={
          pending &&
          (preview.isPending ? (
            'Counting what this will touch…'
          ) : preview.isError ? (
            <span role="alert">Could not count: {preview.error.message}</span>
          ) : (
            <div data-testid="bulk-preview">
              <p style={{ margin: '0 0 6px' }}>
                {pending.kind === 'giveUp'
                  ? 'Stops retrying and moves to dead letters'
                  : 'Makes due now (same delivery, the next run counts as the next attempt)'}{' '}
                <strong data-testid="bulk-count">{preview.data.count}</strong> delivery(ies): {pending.description}. Those running at this moment are left alone.
              </p>
              <ul className="sample">
                {preview.data.sample.map((row) => (
                  <li key={row.id} className="mono">
                    {row.group} {row.type} {row.key} — attempt {row.attempt}: {row.lastError}
                  </li>
                ))}
              </ul>
            </div>
          ))
        }
        confirmLabel={pending?.kind === 'giveUp' ? 'Give up' : 'Retry now'}
        busy={mutation.isPending || preview.isPending}
        error={mutation.error?.message ?? null}
        onCancel={() => setPending(null)}
        onConfirm={(reason, requestId) => pending && mutation.mutate({ ...pending.selection, reason, requestId })}
      />
    </>
  );
}
