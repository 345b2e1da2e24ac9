'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { Fragment, useState, type FormEvent } from 'react';
import { useCan } from '@/components/actor';
import { CursorPager, useCursorStack } from '@/components/cursor-pager';
import { EmptyState } from '@/components/empty-state';
import { ConsumerGroupOptions } from '@/components/consumer-group-options';
import { formatTime, groupLabel, parseDateInput } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import { useUrlFilters } from '@/components/use-url-filters';

const filterKeys = ['group', 'type', 'error', 'key', 'from', 'to', 'status'] as const;
const statuses = ['dead', 'replayed', 'discarded'] as const;
type Status = (typeof statuses)[number];

type Selection = { ids: number[] } | { filter: Record<string, unknown> };
interface PendingAction {
  kind: 'replay' | 'discard';
  selection: Selection;
  description: string;
}

export function DeadLettersTable() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canAct = useCan('oncall');
  const [filters, setFilters] = useUrlFilters(filterKeys);
  const pages = useCursorStack<number>();
  const [selected, setSelected] = useState<number[]>([]);
  const [expanded, setExpanded] = useState<number | null>(null);
  const [pending, setPending] = useState<PendingAction | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const status: Status = (statuses as readonly string[]).includes(filters.status) ? (filters.status as Status) : 'dead';

  const filter = {
    group: filters.group || undefined,
    eventType: filters.type || undefined,
    errorText: filters.error || undefined,
    key: filters.key || undefined,
    deadAfter: parseDateInput(filters.from),
    deadBefore: parseDateInput(filters.to),
  };
  const query = useQuery({
    ...trpc.deadLetters.list.queryOptions({ filter: { ...filter, status }, cursor: pages.cursor, limit: 50 }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const preview = useQuery({
    ...trpc.deadLetters.preview.queryOptions(pending?.selection ?? { ids: [0] }),
    enabled: pending !== null,
  });
  const refresh = async () => {
    setSelected([]);
    setPending(null);
    await queryClient.invalidateQueries({ queryKey: trpc.deadLetters.pathKey() });
  };
  const replay = useMutation(
    trpc.deadLetters.replay.mutationOptions({
      onSuccess: async (result) => {
        setOutcome(
          `Replayed ${result.replayed} dead letter(s)` +
            (result.spreadOverMs > 1000 ? `, paced over ${Math.round(result.spreadOverMs / 1000)} s` : '') +
            (result.remaining ? `; ${result.remaining} more match: replay again for the rest.` : '.'),
        );
        await refresh();
      },
    }),
  );
  const discard = useMutation(
    trpc.deadLetters.discard.mutationOptions({
      onSuccess: async (result) => {
        setOutcome(`Discarded ${result.discarded} dead letter(s).`);
        await refresh();
      },
    }),
  );
  const mutation = pending?.kind === 'discard' ? discard : replay;

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    pages.reset();
    setSelected([]);
    setFilters(Object.fromEntries(filterKeys.map((key) => [key, String(form.get(key) ?? '').trim()])));
  }

  function open(kind: PendingAction['kind'], selection: Selection, description: string) {
    replay.reset();
    discard.reset();
    setOutcome(null);
    setPending({ kind, selection, description });
  }
  const filterIsSet = Object.values(filter).some((value) => value !== undefined);
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
        <button className="primary" type="submit">
          Filter
        </button>
        <button type="button" onClick={() => (pages.reset(), setFilters(Object.fromEntries(filterKeys.map((key) => [key, '']))))}>
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
                  <th>
                    <input
                      type="checkbox"
                      aria-label="Select every row on this page"
                      checked={rows.length > 0 && rows.every((row) => selected.includes(row.id))}
                      onChange={(event) => setSelected(event.target.checked ? rows.map((row) => row.id) : [])}
                    />
                  </th>
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
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`Select dead letter ${row.id}`}
                          checked={selected.includes(row.id)}
                          onChange={(event) => setSelected(event.target.checked ? [...selected, row.id] : selected.filter((id) => id !== row.id))}
                        />
                      </td>
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

      <ReasonDialog
        open={pending !== null}
        title={pending?.kind === 'discard' ? 'Discard dead letters' : 'Replay dead letters'}
        danger={pending?.kind === 'discard'}
        preview={
          pending &&
          (preview.isPending ? (
            'Counting what this will touch…'
          ) : preview.isError ? (
            <span role="alert">Could not count: {preview.error.message}</span>
          ) : (
            <div data-testid="bulk-preview">
              <p style={{ margin: '0 0 6px' }}>
                {pending.kind === 'replay' ? 'Re-delivers' : 'Discards (keeps for the record, never replays)'} <strong data-testid="bulk-count">{preview.data.count}</strong> dead
                letter(s): {pending.description}.
                {pending.kind === 'replay' &&
                  ` Replays are paced at ${preview.data.ratePerSecond}/s` + (preview.data.count > preview.data.cap ? `, at most ${preview.data.cap} per request.` : '.')}
              </p>
              {preview.data.sample.length > 0 && (
                <div className="sample">
                  First {preview.data.sample.length}:
                  <ul>
                    {preview.data.sample.map((row) => (
                      <li key={row.id} className="mono">
                        #{row.id} {row.group} {row.type} {row.key}
                      </li>
                    ))}
                  </ul>
                </div>
              )}
            </div>
          ))
        }
        confirmLabel={pending?.kind === 'discard' ? 'Discard' : preview.data ? `Replay ${preview.data.count}` : 'Replay'}
        busy={mutation.isPending || preview.isPending}
        error={mutation.error?.message ?? null}
        onCancel={() => setPending(null)}
        onConfirm={(reason, requestId) => {
          if (!pending) return;
          if (pending.kind === 'discard') discard.mutate({ ...pending.selection, reason, requestId });
          else replay.mutate({ ...pending.selection, reason, requestId, expectedCount: preview.data?.count });
        }}
      />
    </>
  );
}
