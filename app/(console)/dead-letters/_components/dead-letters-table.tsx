'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { Fragment, useState } from 'react';
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
import { filterKeys, listInput, narrowingOf, statuses, statusOf } from './dead-letters-query';


type Selection = { ids: number[] } | { filter: Record<string, unknown> };
type Kind = 'replay' | 'discard';

export function DeadLettersTable() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canAct = useCan('oncall');
  const [filters, setFilters] = useUrlFilters(filterKeys);
  const pages = useCursorStack<number>();
  const bulk = useBulkAction<Kind, Selection>({ invalidates: trpc.deadLetters.pathKey() });
  const { selected, setSelected, pending } = bulk;
  const [expanded, setExpanded] = useState<number | null>(null);
  const status = statusOf(filters);
  const filter = narrowingOf(filters);
  const query = useQuery({
    ...trpc.deadLetters.list.queryOptions(listInput(filters, pages.cursor)),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const preview = useQuery({
    ...trpc.deadLetters.preview.queryOptions(pending?.selection ?? { ids: [0] }),
    enabled: pending !== null,
  });
  const replay = useMutation(
    trpc.deadLetters.replay.mutationOptions({
      onSuccess: (result) => {
        // Its progress appears above the table at once instead of at the next poll.
        void queryClient.invalidateQueries({ queryKey: trpc.longWork.pathKey() });
        return bulk.finish(
          `Replayed ${result.replayed} dead letter(s)` +
            (result.spreadOverMs > 1000 ? `, paced over ${Math.round(result.spreadOverMs / 1000)} s` : '') +
            (result.remaining ? `; ${result.remaining} more match: replay again for the rest.` : '.'),
        );
      },
    }),
  );
  const discard = useMutation(trpc.deadLetters.discard.mutationOptions({ onSuccess: (result) => bulk.finish(`Discarded ${result.discarded} dead letter(s).`) }));
  const mutation = pending?.kind === 'discard' ? discard : replay;

  function open(kind: Kind, selection: Selection, description: string) {
    bulk.open({ kind, selection, description }, [replay, discard]);
  }
  const filterIsSet = Object.values(filter).some((value) => value !== undefined);
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
          Error contains
          <input name="error" defaultValue={filters.error} placeholder="e.g. HTTP 503" />
        </label>
        <label className="field">
          Key (order id)
          <input name="key" defaultValue={filters.key} placeholder="ord_…" />
        </label>
        <label className="field">
          Dead after
          <input name="from" type="datetime-local" defaultValue={filters.from} />
        </label>
        <label className="field">
          Dead before
          <input name="to" type="datetime-local" defaultValue={filters.to} />
        </label>
        <label className="field">
          Status
          <select name="status" defaultValue={status}>
            {statuses.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
      </FilterForm>

      <BulkOutcome outcome={bulk.outcome} />
      {canAct && status === 'dead' && (
        <div className="row panel">
          <button type="button" disabled={selected.length === 0} onClick={() => open('replay', { ids: selected }, `the ${selected.length} selected dead letter(s)`)}>
            Replay selected ({selected.length})
          </button>
          <button type="button" className="primary" disabled={rows.length === 0} onClick={() =>
              open(
                'replay',
                { filter, everything: !filterIsSet } as Selection,
                filterIsSet
                  ? `every dead letter with ${Object.entries(filter)
                      .filter(([, value]) => value !== undefined)
                      .map(([key, value]) => `${key} = ${value instanceof Date ? value.toLocaleString() : String(value)}`)
                      .join(', ')}`
                  : 'every dead letter (no filter is set)',
              )
            }>
            Replay all matching…
          </button>
          <span className="spacer" />
          <button type="button" className="danger-outline" disabled={selected.length === 0} onClick={() => open('discard', { ids: selected }, `the ${selected.length} selected dead letter(s)`)}>
            Discard selected…
          </button>
        </div>
      )}

      {query.isPending ? (
        <LoadingRows label="Loading dead letters…" />
      ) : query.isError ? (
        <QueryError error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState title={status === 'dead' ? 'No dead letters match' : `No ${status} dead letters match`}>
          {status === 'dead' ? 'Nothing is waiting for on-call here. Deliveries land here when they run out of attempts.' : 'Change the filters to see others.'}
        </EmptyState>
      ) : (
        <>
          <p className="muted" data-testid="dead-letter-count">
            {rows.length}
            {query.data.nextCursor ? '+' : ''} {status} letter(s) on this page
          </p>
          <table className="data" data-testid="dead-letters-table">
            <thead>
              <tr>
                {canAct && status === 'dead' && (
                  <SelectAllCell label="Select every row on this page" rowIds={rows.map((row) => row.id)} selected={selected} onChange={setSelected} />
                )}
                <th>#</th>
                <th>Group</th>
                <th>Event</th>
                <th>Order</th>
                <th>Attempts</th>
                <th>Last error</th>
                <th>Dead since</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <Fragment key={row.id}>
                  <tr data-dead-letter-id={row.id}>
                    {canAct && status === 'dead' && (
                      <SelectRowCell label={`Select dead letter ${row.id}`} id={row.id} selected={selected} onChange={setSelected} />
                    )}
                    <td className="mono">{row.id}</td>
                    <td>{groupLabel(row.group)}</td>
                    <td className="mono">{row.type}</td>
                    <td className="mono">
                      <Link href={`/orders/${encodeURIComponent(row.key)}`}>{row.key}</Link>
                    </td>
                    <td>{row.attempts}</td>
                    <td>
                      {row.lastError ?? '—'}
                      {row.givenUpBy && <div className="muted">given up by {row.givenUpBy}{row.giveUpReason ? `: ${row.giveUpReason}` : ''}</div>}
                      {row.replayedBy && <div className="muted">replayed by {row.replayedBy} at {formatTime(row.replayedAt)}</div>}
                      {row.discardedBy && <div className="muted">discarded by {row.discardedBy}: {row.discardReason}</div>}
                    </td>
                    <td className="muted">{formatTime(row.deadAt)}</td>
                    <td>
                      <div className="row">
                        <button type="button" onClick={() => setExpanded(expanded === row.id ? null : row.id)} aria-expanded={expanded === row.id}>
                          {expanded === row.id ? 'Hide' : 'Inspect'}
                        </button>
                        {canAct && status === 'dead' && (
                          <button type="button" onClick={() => open('replay', { ids: [row.id] }, `dead letter #${row.id}`)}>
                            Replay
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                  {expanded === row.id && (
                    <tr>
                      <td colSpan={9}>
                        <div className="order-grid">
                          <div>
                            <strong>Payload</strong>
                            <pre className="payload">{JSON.stringify(row.payload, null, 2)}</pre>
                            <strong>Headers</strong>
                            <pre className="payload">{JSON.stringify(row.headers, null, 2)}</pre>
                          </div>
                          <div>
                            <strong>Every attempt</strong>
                            <table className="data compact">
                              <tbody>
                                {row.errors.map((attempt) => (
                                  <tr key={`${attempt.attempt}-${attempt.at}`}>
                                    <td>#{attempt.attempt}</td>
                                    <td className="muted">{formatTime(attempt.at)}</td>
                                    <td className="mono">{attempt.errorClass}</td>
                                    <td>{attempt.message}</td>
                                  </tr>
                                ))}
                              </tbody>
                            </table>
                          </div>
                        </div>
                      </td>
                    </tr>
                  )}
                </Fragment>
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
        title={pending?.kind === 'discard' ? 'Discard dead letters' : 'Replay dead letters'}
        danger={pending?.kind === 'discard'}
        confirmLabel={pending?.kind === 'discard' ? 'Discard' : preview.data ? `Replay ${preview.data.count}` : 'Replay'}
        onConfirm={(action, reason, requestId) => {
          if (action.kind === 'discard') discard.mutate({ ...action.selection, reason, requestId });
          else replay.mutate({ ...action.selection, reason, requestId, expectedCount: preview.data?.count });
        }}
      >
        {(action, counted, count) => (
          <>
            <p style={{ margin: '0 0 6px' }}>
              {action.kind === 'replay' ? 'Re-delivers' : 'Discards (keeps for the record, never replays)'} {count} dead letter(s): {action.description}.
              {action.kind === 'replay' && ` Replays are paced at ${counted.ratePerSecond}/s` + (counted.count > counted.cap ? `, at most ${counted.cap} per request.` : '.')}
            </p>
            {counted.sample.length > 0 && (
              <div className="sample">
                First {counted.sample.length}:
                <ul>
                  {counted.sample.map((row) => (
                    <li key={row.id} className="mono">
                      #{row.id} {row.group} {row.type} {row.key}
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </>
        )}
      </BulkActionDialog>
    </>
  );
}
