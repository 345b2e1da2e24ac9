'use client';

import { useQuery } from '@tanstack/react-query';
import { EmptyState } from '@/components/empty-state';
import { actionLabel, formatTime, groupLabel } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import type { GroupTrace, TracedEvent } from '@/server/pipeline';

const eventLabels: Record<string, string> = {
  OrderCreated: 'Order placed',
  OrderPaymentTimeout: 'Payment deadline check',
  OrderPaid: 'Payment received',
  OrderClosed: 'Order closed',
  RefundRequested: 'Refund requested',
  RefundSucceeded: 'Refund confirmed by the provider',
  RefundFailed: 'Refund failed',
  ShipmentAccepted: 'Accepted by the warehouse',
  OrderShipped: 'Dispatched',
};

/** One group's state with one event, in words a support agent understands. */
function GroupState({ trace }: { trace: GroupTrace }) {
  const { delivery } = trace;
  const name = groupLabel(trace.group);
  const replays = trace.replays.map((replay) => (
    <div key={replay.deadLetterId} className="muted">
      replayed by {replay.replayedBy ?? 'someone'} at {formatTime(replay.replayedAt)}
    </div>
  ));
  switch (delivery.state) {
    case 'processed':
      return (
        <li data-group={trace.group} data-state="processed">
          <span className="badge ok">done</span> {name} at {formatTime(delivery.processedAt)}
          {replays}
        </li>
      );
    case 'retrying':
      return (
        <li data-group={trace.group} data-state="retrying">
          <span className="badge pending">retrying</span> {name}: attempt {delivery.attempt} failed
          {delivery.lastError ? ` — ${delivery.lastError}` : ''}. Next attempt {formatTime(delivery.nextAttemptAt)}.
          {replays}
        </li>
      );
    case 'dead':
      return (
        <li data-group={trace.group} data-state="dead">
          <span className="badge error">gave up</span> {name} after {delivery.attempts} attempts{delivery.lastError ? ` — ${delivery.lastError}` : ''}. It is in dead
          letters (#{delivery.deadLetterId}) waiting for on-call.
          {replays}
        </li>
      );
    case 'discarded':
      return (
        <li data-group={trace.group} data-state="discarded">
          <span className="badge">discarded</span> {name}: dead letter discarded by {delivery.discardedBy ?? 'someone'} ({delivery.discardReason ?? 'no reason'})
          {replays}
        </li>
      );
    case 'waiting':
      return (
        <li data-group={trace.group} data-state="waiting">
          <span className="badge">waiting</span> {name}: {delivery.reason === 'not yet in the log' ? 'scheduled, not due yet' : 'queued, not handled yet'}
          {replays}
        </li>
      );
    default:
      return null;
  }
}

type TraceData = { events: TracedEvent[]; actions: { id: number; at: Date; actorEmail: string | null; action: string; reason: string | null; outcome: string }[] };

/** Events and the operator actions that succeeded, in time order, so a fix shows where it happened. */
function timeline(data: TraceData) {
  const entries = [
    ...data.events.map((event) => ({ kind: 'event' as const, at: event.createdAt.getTime(), event })),
    ...data.actions.filter((action) => action.outcome === 'ok').map((action) => ({ kind: 'action' as const, at: new Date(action.at).getTime(), action })),
  ];
  return entries.sort((a, b) => a.at - b.at);
}

export function OrderTrace({ orderId }: { orderId: string }) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.orders.trace.queryOptions({ orderId }), refetchInterval: 3_000 });

  return (
    <div className="trace-grid">
      <section className="panel" aria-label="Trace">
        <div className="row">
          <div>
            <h2 style={{ marginBottom: 2 }}>Trace</h2>
            <p className="muted" style={{ margin: '0 0 10px' }}>
              Every event of the order, and where each downstream system is with it.
            </p>
          </div>
          <span className="spacer" />
          <UpdatedAgo at={query.dataUpdatedAt} />
        </div>
        {query.isPending ? (
          <LoadingRows label="Loading the trace…" />
        ) : query.isError ? (
          <QueryError error={query.error} onRetry={() => void query.refetch()} />
        ) : query.data.events.length === 0 ? (
          <EmptyState title="No events for this order yet" />
        ) : (
          <>
            {query.data.earlierEvents && (
              <p className="notice" role="status">
                Showing the latest {query.data.events.length.toLocaleString('en-US')} events; older ones are left out.
              </p>
            )}
            <ol className="trace" data-testid="order-trace">
              {timeline(query.data).map((entry) =>
                entry.kind === 'action' ? (
                  <li key={`action-${entry.action.id}`} className="trace-action" data-action={entry.action.action}>
                    <div className="trace-event">
                      <strong>Operator: {actionLabel(entry.action.action)}</strong> <span className={`badge ${entry.action.outcome}`}>{entry.action.outcome}</span>
                      <span className="spacer" />
                      <span className="muted">{formatTime(entry.action.at)}</span>
                    </div>
                    <div className="muted">
                      by {entry.action.actorEmail ?? 'anonymous'}
                      {entry.action.reason && <> — “{entry.action.reason}”</>}
                    </div>
                  </li>
                ) : (
                  <li key={entry.event.id} data-event-type={entry.event.type}>
                    <div className="trace-event">
                      <strong>{eventLabels[entry.event.type] ?? entry.event.type}</strong> <span className="mono muted">{entry.event.type}</span>
                      <span className="spacer" />
                      <span className="muted">{formatTime(entry.event.createdAt)}</span>
                    </div>
                    {entry.event.deliverAt.getTime() > Date.now() && <div className="muted">scheduled for {formatTime(entry.event.deliverAt)}</div>}
                    {entry.event.traceId && (
                      <div className="muted">
                        trace <span className="mono" data-testid="event-trace-id" title="OpenTelemetry trace id: search for it in your tracing backend">{entry.event.traceId}</span>
                      </div>
                    )}
                    <ul className="trace-groups">
                      {entry.event.groups
                        .filter((group) => group.delivery.state !== 'not subscribed')
                        .map((group) => (
                          <GroupState key={group.group} trace={group} />
                        ))}
                    </ul>
                  </li>
                ),
              )}
            </ol>
          </>
        )}
      </section>
      <section className="panel" aria-label="Operator actions">
        <h2>Console actions on this order</h2>
        <p className="muted" style={{ marginTop: 0 }}>Including refused and failed attempts.</p>
        {query.data && query.data.actions.length === 0 && <p className="muted">No one has acted on this order from the console.</p>}
        <ul className="actions-log" data-testid="order-actions">
          {query.data?.actions.map((action) => (
            <li key={action.id}>
              <div>
                <span className="mono">{action.action}</span> <span className={`badge ${action.outcome}`}>{action.outcome}</span>
              </div>
              <div className="muted">
                {action.actorEmail ?? 'anonymous'} · {formatTime(action.at)}
              </div>
              {action.reason && <div>“{action.reason}”</div>}
              {action.message && <div className="muted">{action.message}</div>}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
