'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { Fragment, useState } from 'react';
import { useCan } from '@/components/actor';
import { EmptyState } from '@/components/empty-state';
import { formatDuration, formatTime } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import { useUrlFilters } from '@/components/use-url-filters';

const filterKeys = ['kind', 'status'] as const;
const statuses = ['open', 'auto_fixed', 'resolved', 'ignored'] as const;
type DiffStatus = (typeof statuses)[number];

const fixLabels: Record<string, string> = {
  apply_payment: 'Record the provider payment (as its notification would)',
  repush_shipment: 'Re-push the shipment to the warehouse',
  cancel_at_wms: 'Cancel the shipment at the warehouse',
  settle_refund: 'Settle our refund as the provider confirmed it',
};

type Action = { kind: 'run' } | { kind: 'fix' | 'resolved' | 'ignored'; diffId: number; orderId: string; summary: string; fix: string | null };

function statusLabel(status: string) {
  return status.replace('_', '-');
}

function Values({ values }: { values: Record<string, unknown> }) {
  return (
    <dl className="diff-values">
      {Object.entries(values).map(([key, value]) => (
        <Fragment key={key}>
          <dt>{key}</dt>
          <dd className="mono">{value === null ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value)}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

export function ReconciliationView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canAct = useCan('support');
  const [filters, setFilters] = useUrlFilters(filterKeys);
  const [expanded, setExpanded] = useState<number | null>(null);
  const [action, setAction] = useState<Action | null>(null);
  const [autoFix, setAutoFix] = useState(true);
  const [notice, setNotice] = useState<string | null>(null);

  const summary = useQuery({ ...trpc.reconciliation.summary.queryOptions(), refetchInterval: 10_000 });
  const runs = useQuery({ ...trpc.reconciliation.runs.queryOptions({ limit: 8 }), refetchInterval: 10_000 });
  const kinds = summary.data?.kinds ?? {};
  const status = (statuses as readonly string[]).includes(filters.status) ? (filters.status as DiffStatus) : undefined;
  const kind = filters.kind && filters.kind in kinds ? (filters.kind as keyof typeof kinds) : undefined;
  const diffs = useQuery({
    ...trpc.reconciliation.diffs.queryOptions({ kind, status, limit: 50 }),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });

  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.reconciliation.pathKey() });
  const runNow = useMutation(trpc.reconciliation.runNow.mutationOptions());
  const applyFix = useMutation(trpc.reconciliation.applyFix.mutationOptions());
  const resolve = useMutation(trpc.reconciliation.resolve.mutationOptions());
  const busy = runNow.isPending || applyFix.isPending || resolve.isPending;
  const error = runNow.error?.message ?? applyFix.error?.message ?? resolve.error?.message ?? null;

  function confirm(reason: string, requestId: string) {
    if (!action) return;
    const done = (message: string) => {
      setAction(null);
      setNotice(message);
      void invalidate();
    };
    if (action.kind === 'run') {
      runNow.mutate(
        { autoFix, reason, requestId },
        { onSuccess: (run) => done(`Run ${run.id} checked ${run.counts?.checked ?? 0} orders: ${run.counts?.autoFixed ?? 0} fixed, ${run.counts?.opened ?? 0} new diffs.`) },
      );
    } else if (action.kind === 'fix') {
      applyFix.mutate({ diffId: action.diffId, reason, requestId }, { onSuccess: (result) => done(`Diff #${result.id} resolved: ${result.result}`) });
    } else {
      resolve.mutate({ diffId: action.diffId, status: action.kind, reason, requestId }, { onSuccess: (result) => done(`Diff #${result.id} is ${statusLabel(result.status)}.`) });
    }
  }

  function openAction(next: Action) {
    runNow.reset();
    applyFix.reset();
    resolve.reset();
    setAction(next);
  }

  const openByKind = summary.data?.openByKind ?? {};
  const openTotal = Object.values(openByKind).reduce((sum, count) => sum + count, 0);

  return (
    <>
      <section className="panel">
        <div className="row wrap">
          <strong>{openTotal} open diff{openTotal === 1 ? '' : 's'}</strong>
          {Object.entries(openByKind).map(([name, count]) => (
            <button key={name} type="button" className="link" onClick={() => setFilters({ kind: name, status: 'open' })}>
              {name} ({count})
            </button>
          ))}
          <span className="spacer" />
          <UpdatedAgo at={runs.dataUpdatedAt} />
          {canAct && (
            <button type="button" className="primary" onClick={() => openAction({ kind: 'run' })}>
              Run now
            </button>
          )}
        </div>
        {notice && (
          <div className="notice" role="status" data-testid="reconciliation-notice">
            {notice}
          </div>
        )}
      </section>

      <h2 className="section-title">Runs</h2>
      {runs.isPending ? (
        <LoadingRows />
      ) : runs.isError ? (
        <QueryError error={runs.error} onRetry={() => void runs.refetch()} />
      ) : runs.data.length === 0 ? (
        <EmptyState title="No runs yet">A scheduled run starts within a few minutes of the console starting; “Run now” starts one at once.</EmptyState>
      ) : (
        <table className="data" data-testid="reconciliation-runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Started</th>
              <th>By</th>
              <th>Window</th>
              <th>Checked</th>
              <th>Found by kind</th>
              <th>Fixed / new / cleared</th>
              <th>Took</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.map((run) => (
              <tr key={run.id}>
                <td className="mono">
                  #{run.id} <span className={`badge ${run.status === 'succeeded' ? 'ok' : run.status === 'failed' ? 'error' : 'pending'}`}>{run.status}</span>
                </td>
                <td className="mono">{formatTime(run.startedAt)}</td>
                <td>
                  {run.startedBy}
                  <div className="muted">{run.trigger}{run.autoFix ? '' : ' · report only'}</div>
                </td>
                <td className="mono muted">
                  {new Date(run.windowFrom).toLocaleTimeString()} – {new Date(run.windowTo).toLocaleTimeString()}
                </td>
                <td>
                  {run.counts?.checked ?? '—'}
                  {!!run.counts?.unreachable && <div className="muted">{run.counts.unreachable} unreachable</div>}
                </td>
                <td>
                  {run.counts && Object.keys(run.counts.byKind).length > 0
                    ? Object.entries(run.counts.byKind).map(([name, count]) => (
                        <div key={name} className="mono">
                          {name}: {count}
                        </div>
                      ))
                    : <span className="muted">nothing</span>}
                  {run.error && <div className="error-rate high">{run.error}</div>}
                </td>
                <td>
                  {run.counts ? `${run.counts.autoFixed} / ${run.counts.opened} / ${run.counts.cleared}` : '—'}
                </td>
                <td>{run.durationMs === null ? '…' : formatDuration(run.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2 className="section-title">Diffs</h2>
      <form className="filters panel" onSubmit={(event) => event.preventDefault()}>
        <label className="field">
          Kind
          <select aria-label="Diff kind" value={filters.kind} onChange={(event) => setFilters({ kind: event.target.value })}>
            <option value="">any</option>
            {Object.entries(kinds).map(([name, label]) => (
              <option key={name} value={name}>
                {name} — {String(label)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Status
          <select aria-label="Diff status" value={filters.status} onChange={(event) => setFilters({ status: event.target.value })}>
            <option value="">any</option>
            {statuses.map((value) => (
              <option key={value} value={value}>
                {statusLabel(value)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setFilters({ kind: '', status: '' })}>
          Clear
        </button>
        <span className="spacer" />
        <UpdatedAgo at={diffs.dataUpdatedAt} />
      </form>
      {diffs.isPending ? (
        <LoadingRows />
      ) : diffs.isError ? (
        <QueryError error={diffs.error} onRetry={() => void diffs.refetch()} />
      ) : diffs.data.diffs.length === 0 ? (
        <EmptyState title="No diffs match">When our records and a third party disagree, the difference shows here.</EmptyState>
      ) : (
        <table className="data" data-testid="reconciliation-diffs">
          <thead>
            <tr>
              <th>Diff</th>
              <th>Kind</th>
              <th>Order</th>
              <th>What differs</th>
              <th>Status</th>
              <th>Closed by</th>
            </tr>
          </thead>
          <tbody>
            {diffs.data.diffs.map((diff) => (
              <Fragment key={diff.id}>
                <tr data-testid={`diff-${diff.id}`} data-order-id={diff.orderId}>
                  <td>
                    <button type="button" className="link mono" aria-expanded={expanded === diff.id} onClick={() => setExpanded(expanded === diff.id ? null : diff.id)}>
                      {expanded === diff.id ? '▾' : '▸'} #{diff.id}
                    </button>
                  </td>
                  <td className="mono">{diff.kind}</td>
                  <td className="mono">
                    <Link href={`/orders/${diff.orderId}`}>{diff.orderId}</Link>
                  </td>
                  <td>
                    {diff.summary}
                    {diff.seenCount > 1 && <div className="muted">seen in {diff.seenCount} runs, last {formatTime(diff.lastSeenAt)}</div>}
                  </td>
                  <td>
                    <span className={`badge ${diff.status === 'open' ? 'pending' : diff.status === 'ignored' ? '' : 'ok'}`}>{statusLabel(diff.status)}</span>
                  </td>
                  <td>
                    {diff.resolvedBy ? (
                      <>
                        {diff.resolvedBy}
                        <div className="muted">{formatTime(diff.resolvedAt)}</div>
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
                {expanded === diff.id && (
                  <tr className="diff-detail">
                    <td colSpan={6}>
                      <div className="diff-sides">
                        <div>
                          <h3>Ours, when found</h3>
                          <Values values={diff.ours} />
                        </div>
                        <div>
                          <h3>Theirs ({diff.kind.startsWith('shipment') ? 'warehouse' : 'payment provider'}), when found</h3>
                          <Values values={diff.theirs} />
                        </div>
                      </div>
                      {diff.resolution && <p className="notice">{diff.resolution}</p>}
                      {diff.status === 'open' && canAct && (
                        <div className="row">
                          {diff.fix ? (
                            <button type="button" className="primary" onClick={() => openAction({ kind: 'fix', diffId: diff.id, orderId: diff.orderId, summary: diff.summary, fix: diff.fix })}>
                              Apply fix
                            </button>
                          ) : (
                            <span className="muted">No certain fix: fix it by hand, then resolve with a note.</span>
                          )}
                          <button type="button" onClick={() => openAction({ kind: 'resolved', diffId: diff.id, orderId: diff.orderId, summary: diff.summary, fix: diff.fix })}>
                            Resolve…
                          </button>
                          <button type="button" onClick={() => openAction({ kind: 'ignored', diffId: diff.id, orderId: diff.orderId, summary: diff.summary, fix: diff.fix })}>
                            Ignore…
                          </button>
                        </div>
                      )}
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}

      <ReasonDialog
        open={action !== null}
        title={action?.kind === 'run' ? 'Run reconciliation now' : action?.kind === 'fix' ? `Apply fix to diff #${action.diffId}` : `Mark diff #${action && 'diffId' in action ? action.diffId : ''} ${action?.kind ?? ''}`}
        preview={
          action?.kind === 'run' ? (
            <>
              <p>Compares the orders changed since the last run (and every order with an open diff) with the payment provider and the warehouse.</p>
              <label className="row">
                <input type="checkbox" checked={autoFix} onChange={(event) => setAutoFix(event.target.checked)} /> Apply certain fixes automatically (untick to only report them)
              </label>
            </>
          ) : action ? (
            <>
              <p>
                Order <span className="mono">{action.orderId}</span>: {action.summary}
              </p>
              {action.kind === 'fix' && action.fix && <p>Will do: {fixLabels[action.fix] ?? action.fix}.</p>}
              {action.kind === 'ignored' && <p>An ignored diff is not reopened by later runs.</p>}
            </>
          ) : null
        }
        confirmLabel={action?.kind === 'run' ? 'Run now' : action?.kind === 'fix' ? 'Apply fix' : action?.kind === 'ignored' ? 'Ignore' : 'Resolve'}
        busy={busy}
        error={error}
        onCancel={() => setAction(null)}
        onConfirm={confirm}
      />
    </>
  );
}
