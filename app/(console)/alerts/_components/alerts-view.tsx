'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useCan } from '@/components/actor';
import { EmptyState } from '@/components/empty-state';
import { formatTime } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import { useUrlFilters } from '@/components/use-url-filters';
import type { AlertRuleView } from '@/server/ops/alert-rules';
import { EditAlertRuleDialog } from './edit-alert-rule';

const statuses = ['active', 'open', 'acknowledged', 'resolved'] as const;
type Action = { kind: 'acknowledge' | 'resolve'; alertId: number; title: string };

export function AlertsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canAct = useCan('oncall');
  const canEditRules = useCan('admin');
  const [editing, setEditing] = useState<AlertRuleView | null>(null);
  const [filters, setFilters] = useUrlFilters(['status'] as const);
  const status = (statuses as readonly string[]).includes(filters.status) ? (filters.status as (typeof statuses)[number]) : 'active';
  const [action, setAction] = useState<Action | null>(null);
  const list = useQuery({ ...trpc.alerts.list.queryOptions({ status, limit: 100 }), placeholderData: keepPreviousData, refetchInterval: 5_000 });
  const rules = useQuery(trpc.alerts.rules.queryOptions());
  const acknowledge = useMutation(trpc.alerts.acknowledge.mutationOptions());
  const resolve = useMutation(trpc.alerts.resolve.mutationOptions());
  const mutation = action?.kind === 'resolve' ? resolve : acknowledge;

  function confirm(reason: string, requestId: string) {
    if (!action) return;
    mutation.mutate(
      { alertId: action.alertId, reason, requestId },
      {
        onSuccess: () => {
          setAction(null);
          void queryClient.invalidateQueries({ queryKey: trpc.alerts.pathKey() });
        },
      },
    );
  }

  return (
    <>
      <div className="filters panel">
        <label className="field">
          Status
          <select value={status} onChange={(event) => setFilters({ status: event.target.value === 'active' ? '' : event.target.value })}>
            {statuses.map((value) => (
              <option key={value} value={value}>
                {value === 'active' ? 'open or acknowledged' : value}
              </option>
            ))}
          </select>
        </label>
        <span className="spacer" />
        <span className="muted">Webhook: {rules.data ? (rules.data.webhookConfigured ? 'ALERT_WEBHOOK_URL set' : 'not configured') : '…'}</span>
        <UpdatedAgo at={list.dataUpdatedAt} />
      </div>
      {list.isPending ? (
        <LoadingRows />
      ) : list.isError ? (
        <QueryError error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.alerts.length === 0 ? (
        <EmptyState title="No alerts">Nothing needs a person right now.</EmptyState>
      ) : (
        <table className="data" data-testid="alerts-table">
          <thead>
            <tr>
              <th>Alert</th>
              <th>Severity</th>
              <th>Seen</th>
              <th>Status</th>
              <th>Webhook</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data.alerts.map((alert) => (
              <tr key={alert.id}>
                <td>
                  {alert.title}
                  <div className="muted mono">{alert.kind} · {alert.dedupeKey}</div>
                </td>
                <td>
                  <span className={`badge ${alert.severity === 'critical' ? 'error' : alert.severity === 'warning' ? 'pending' : 'info'}`}>{alert.severity}</span>
                </td>
                <td>
                  {alert.count}× · last {formatTime(alert.lastSeenAt)}
                  <div className="muted">first {formatTime(alert.firstSeenAt)}</div>
                </td>
                <td>
                  <span className={`badge ${alert.status === 'resolved' ? 'ok' : alert.status === 'open' ? 'pending' : ''}`}>{alert.status}</span>
                  {alert.acknowledgedBy && <div className="muted">ack by {alert.acknowledgedBy}</div>}
                  {alert.resolvedBy && <div className="muted">resolved by {alert.resolvedBy}: {alert.resolution}</div>}
                </td>
                <td className="muted">
                  {!alert.webhook ? '—' : alert.webhook.deliveredAt ? `delivered (${alert.webhook.attempts} attempt${alert.webhook.attempts === 1 ? '' : 's'})` : alert.webhook.failedAt ? `gave up: ${alert.webhook.lastError}` : `retrying (${alert.webhook.attempts}): ${alert.webhook.lastError ?? 'pending'}`}
                </td>
                <td>
                  {canAct && alert.status !== 'resolved' && (
                    <div className="row">
                      {alert.status === 'open' && (
                        <button type="button" onClick={() => (acknowledge.reset(), setAction({ kind: 'acknowledge', alertId: alert.id, title: alert.title }))}>
                          Acknowledge
                        </button>
                      )}
                      <button type="button" onClick={() => (resolve.reset(), setAction({ kind: 'resolve', alertId: alert.id, title: alert.title }))}>
                        Resolve…
                      </button>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2 className="section-title">Rules</h2>
      {rules.data && (
        <table className="data" data-testid="alert-rules">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Enabled</th>
              <th>Threshold</th>
              <th>For</th>
              <th>Changed by</th>
              {canEditRules && <th />}
            </tr>
          </thead>
          <tbody>
            {rules.data.rules.map((rule) => (
              <tr key={rule.rule} data-rule={rule.rule}>
                <td>
                  {rule.label}
                  <div className="muted mono">{rule.rule}</div>
                </td>
                <td>
                  <span className={`badge ${rule.enabled ? 'ok' : ''}`}>{rule.enabled ? 'on' : 'off'}</span>
                </td>
                <td>{rule.threshold === null ? '—' : `${rule.threshold} ${rule.thresholdUnit}`}</td>
                <td>{rule.forMinutes === null ? '—' : `${rule.forMinutes} min`}</td>
                <td className="muted">
                  {rule.updatedBy ?? 'default'}
                  {rule.updatedAt && <div>{formatTime(rule.updatedAt)}</div>}
                </td>
                {canEditRules && (
                  <td>
                    <button type="button" onClick={() => setEditing(rule)}>
                      Edit…
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <EditAlertRuleDialog key={editing?.rule ?? 'none'} rule={editing} onClose={() => setEditing(null)} />

      <ReasonDialog
        open={action !== null}
        title={action?.kind === 'resolve' ? 'Resolve alert' : 'Acknowledge alert'}
        preview={
          <p>
            {action?.title}. {action?.kind === 'resolve' ? 'The next occurrence opens a new alert.' : 'Repeats keep counting on it until it is resolved.'}
          </p>
        }
        confirmLabel={action?.kind === 'resolve' ? 'Resolve' : 'Acknowledge'}
        busy={mutation.isPending}
        error={mutation.error?.message ?? null}
        onCancel={() => setAction(null)}
        onConfirm={confirm}
      />
    </>
  );
}
