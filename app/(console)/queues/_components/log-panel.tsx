'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { formatDuration } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import { RepublishButton } from './republish-button';

/**
 * When the log runs on NATS JetStream: the stream, its leader, whether its replicas are in sync,
 * each partition consumer, and (for on-call) republishing from the outbox.
 */
export function LogPanel() {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.queues.logState.queryOptions(), placeholderData: keepPreviousData, refetchInterval: 5_000 });
  if (query.isPending) return <LoadingRows label="Asking the broker…" />;
  if (query.isError) return <QueryError error={query.error} onRetry={() => void query.refetch()} />;
  const state = query.data;
  if (state.kind === 'postgres') return null;
  const inSync = state.clustered ? state.followers.filter((follower) => follower.current).length + (state.leader ? 1 : 0) : state.replicas;
  return (
    <section className="panel flush" aria-label="NATS stream" data-testid="nats-log">
      <div className="row section-title">
        <h2>NATS stream {state.stream}</h2>
        <span className="spacer" />
        <UpdatedAgo at={query.dataUpdatedAt} />
      </div>
      <div style={{ padding: '0 16px 8px' }}>
        <RepublishButton />
      </div>
      <table className="data compact">
        <tbody>
          <tr>
            <th>Leader</th>
            <td data-testid="nats-leader">
              {state.leader ?? (state.clustered ? <span className="badge pending">none: electing</span> : <span className="muted">single server, not clustered</span>)}
            </td>
            <th>Replicas in sync</th>
            <td>
              <span className={`badge ${inSync === state.replicas ? 'ok' : 'pending'}`}>
                {inSync} of {state.replicas}
              </span>{' '}
              {state.followers.map((follower) => (
                <span key={follower.name} className="muted">
                  {follower.name}: {follower.current ? 'current' : `behind by ${follower.lag}`}{' '}
                </span>
              ))}
            </td>
          </tr>
          <tr>
            <th>Messages</th>
            <td>{state.messages}</td>
            <th>Sequences</th>
            <td>
              {state.firstSequence}–{state.lastSequence}
            </td>
          </tr>
        </tbody>
      </table>
      <table className="data compact">
        <thead>
          <tr>
            <th>Consumer</th>
            <th>Partition</th>
            <th>Not delivered</th>
            <th>Delivered, not acked</th>
            <th>Acked up to</th>
            <th>Oldest unacked</th>
            <th>Leader</th>
          </tr>
        </thead>
        <tbody>
          {state.consumers.map((consumer) => (
            <tr key={consumer.consumer}>
              <td>{consumer.consumer}</td>
              <td>{consumer.partition ?? '—'}</td>
              <td>{consumer.pending}</td>
              <td>{consumer.ackPending}</td>
              <td>{consumer.ackFloor}</td>
              <td>{consumer.oldestUnackedAgeMs === null ? <span className="muted">all acked</span> : formatDuration(consumer.oldestUnackedAgeMs)}</td>
              <td>{consumer.leader ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
