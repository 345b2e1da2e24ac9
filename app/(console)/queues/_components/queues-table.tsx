'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { Fragment, useState } from 'react';
import { useCan } from '@/components/actor';
import { EmptyState } from '@/components/empty-state';
import { formatDuration, formatTime, groupLabel, toDateInput } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';

type Pending = { kind: 'pause' | 'resume'; group: string } | { kind: 'reset'; group: string; time: string };

export function QueuesTable() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canAct = useCan('oncall');
  const [expanded, setExpanded] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const query = useQuery({ ...trpc.queues.overview.queryOptions(), placeholderData: keepPreviousData, refetchInterval: 3_000 });
  const resetTime = pending?.kind === 'reset' ? new Date(pending.time) : null;
  const dryRun = useQuery({
    ...trpc.queues.previewReset.queryOptions({ group: pending?.group ?? '', time: resetTime ?? new Date() }),
    enabled: pending?.kind === 'reset' && resetTime !== null && !Number.isNaN(resetTime.getTime()),
  });
  const done = async (message: string) => {
    setOutcome(message);
    setPending(null);
    await queryClient.invalidateQueries({ queryKey: trpc.queues.pathKey() });
  };
  const pause = useMutation(trpc.queues.pause.mutationOptions({ onSuccess: (result) => done(result.changed ? `${result.group} paused.` : `${result.group} was already paused.`) }));
  const resume = useMutation(trpc.queues.resume.mutationOptions({ onSuccess: (result) => done(result.changed ? `${result.group} resumed.` : `${result.group} was not paused.`) }));
  const reset = useMutation(
    trpc.queues.resetOffsets.mutationOptions({
      onSuccess: (result) =>
        done(`Offsets moved: ${result.redelivered} event(s) will be delivered again, ${result.skipped} skipped.${result.workId ? ' Their redelivery shows above as it goes.' : ''}`),
    }),
  );
  const mutation = pending?.kind === 'pause' ? pause : pending?.kind === 'resume' ? resume : reset;

  function open(next: Pending) {
    pause.reset();
    resume.reset();
    reset.reset();
    setOutcome(null);
    setPending(next);
  }

  if (query.isPending) return <LoadingRows label="Loading consumer groups…" />;
  if (query.isError) return <QueryError error={query.error} onRetry={() => void query.refetch()} />;
  if (query.data.length === 0) return <EmptyState title="No consumer groups yet">Groups appear here once the pipeline has started.</EmptyState>;
  // Only the NATS log's lag read carries the broker's view; on PostgreSQL the column would say nothing new.
  const onBroker = query.data.some((group) => group.oldestUnackedAgeMs !== undefined);
  const unackedAge = (ms: number | null | undefined) => (ms === undefined ? '—' : ms === null ? <span className="muted">all acked</span> : formatDuration(ms));

  return (
    <section className="panel flush" aria-label="Consumer groups">
      <div className="row section-title">
        <h2>Consumer groups</h2>
        <span className="spacer" />
        <UpdatedAgo at={query.dataUpdatedAt} />
      </div>
      {outcome && (
        <div className="notice" role="status" style={{ margin: '0 16px 8px' }}>
          {outcome}
        </div>
      )}
      <table className="data" data-testid="queues-table">
        <thead>
          <tr>
            <th>Group</th>
            <th>Lag</th>
            <th>Oldest waiting</th>
            {onBroker && <th title="From the broker: the oldest message a partition's consumer has not acked">Oldest unacked (NATS)</th>}
            <th>Handled / s (1 min)</th>
            <th>Retrying</th>
            <th>Dead</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {query.data.map((group) => (
            <Fragment key={group.group}>
              <tr data-group={group.group}>
                <td>
                  <button type="button" className="link" onClick={() => setExpanded(expanded === group.group ? null : group.group)} aria-expanded={expanded === group.group}>
                    {expanded === group.group ? '▾' : '▸'} {groupLabel(group.group)}
                  </button>
                </td>
                <td data-testid="group-lag">{group.lag}</td>
                <td>{group.oldestUnconsumedAgeMs === null ? <span className="muted">caught up</span> : formatDuration(group.oldestUnconsumedAgeMs)}</td>
                {onBroker && <td data-testid="group-oldest-unacked">{unackedAge(group.oldestUnackedAgeMs)}</td>}
                <td>{group.handledPerSecond.toFixed(1)}</td>
                <td>{group.retrying > 0 ? <Link href={`/failed-pushes?group=${group.group}`}>{group.retrying}</Link> : 0}</td>
                <td>{group.dead > 0 ? <Link href={`/dead-letters?group=${group.group}`}>{group.dead}</Link> : 0}</td>
                <td>
                  {group.paused ? (
                    <span className="badge pending" title={`by ${group.pausedBy ?? 'someone'} at ${formatTime(group.pausedAt)}`}>
                      paused
                    </span>
                  ) : (
                    <span className="badge ok">running</span>
                  )}
                </td>
                <td>
                  {canAct && (
                    <div className="row">
                      {group.paused ? (
                        <button type="button" onClick={() => open({ kind: 'resume', group: group.group })}>
                          Resume
                        </button>
                      ) : (
                        <button type="button" onClick={() => open({ kind: 'pause', group: group.group })}>
                          Pause
                        </button>
                      )}
                      <button type="button" onClick={() => open({ kind: 'reset', group: group.group, time: toDateInput(new Date(Date.now() - 10 * 60_000)) })}>
                        Reset offsets…
                      </button>
                    </div>
                  )}
                </td>
              </tr>
              {expanded === group.group && (
                <tr>
                  <td colSpan={onBroker ? 9 : 8}>
                    <table className="data compact">
                      <thead>
                        <tr>
                          <th>Partition</th>
                          <th>End offset</th>
                          <th>Committed</th>
                          <th>Lag</th>
                          <th>Oldest waiting</th>
                          {onBroker && <th>Oldest unacked (NATS)</th>}
                          <th>Held by</th>
                        </tr>
                      </thead>
                      <tbody>
                        {group.partitions.map((partition) => (
                          <tr key={partition.partition}>
                            <td>{partition.partition}</td>
                            <td>{partition.endOffset}</td>
                            <td>{partition.committedOffset}</td>
                            <td>{partition.lag}</td>
                            <td>{partition.oldestUnconsumedAgeMs === null ? '—' : formatDuration(partition.oldestUnconsumedAgeMs)}</td>
                            {onBroker && <td>{unackedAge(partition.oldestUnackedAgeMs)}</td>}
                            <td className="mono muted">{partition.leaseOwner ?? 'nobody'}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
      <ReasonDialog
        open={pending !== null}
        title={pending ? `${pending.kind === 'reset' ? 'Reset offsets of' : pending.kind === 'pause' ? 'Pause' : 'Resume'} ${pending.group}` : ''}
        danger={pending?.kind !== 'resume'}
        preview={
          pending?.kind === 'reset' ? (
            <>
              <label className="field">
                Move every partition to the first event logged at or after
                <input type="datetime-local" value={pending.time} onChange={(event) => setPending({ ...pending, time: event.target.value })} />
              </label>
              <div data-testid="reset-dry-run" style={{ marginTop: 8 }}>
                {dryRun.isPending ? (
                  'Counting (dry run)…'
                ) : dryRun.isError ? (
                  <span role="alert">{dryRun.error.message}</span>
                ) : (
                  <>
                    Dry run: <strong>{dryRun.data.redelivered}</strong> event(s) will be delivered again and <strong>{dryRun.data.skipped}</strong> will be skipped (never
                    delivered to this group).
                  </>
                )}
              </div>
            </>
          ) : pending?.kind === 'pause' ? (
            `${groupLabel(pending.group)} stops handling events and retries. Events keep arriving and show as lag; nothing is lost. Resume to continue from where it stopped.`
          ) : (
            pending && `${groupLabel(pending.group)} starts handling again from where it stopped.`
          )
        }
        confirmLabel={pending?.kind === 'reset' ? 'Move offsets' : pending?.kind === 'pause' ? 'Pause' : 'Resume'}
        busy={mutation.isPending || (pending?.kind === 'reset' && dryRun.isPending)}
        error={mutation.error?.message ?? null}
        onCancel={() => setPending(null)}
        onConfirm={(reason, requestId) => {
          if (!pending) return;
          if (pending.kind === 'reset') reset.mutate({ group: pending.group, time: new Date(pending.time), reason, requestId });
          else (pending.kind === 'pause' ? pause : resume).mutate({ group: pending.group, reason, requestId });
        }}
      />
    </section>
  );
}
