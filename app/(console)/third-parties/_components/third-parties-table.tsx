'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useCan } from '@/components/actor';
import { formatDuration, groupLabel } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import { OBSERVED_WINDOW_MINUTES } from './third-parties-query';
import { UpdatedAgo } from '@/components/updated-ago';
import type { SimulatorName } from '@/shared/simulators';

const names: Record<SimulatorName, string> = { payment: 'Payment provider', wms: 'Warehouse (WMS)', logistics: 'Logistics carrier', sms: 'SMS gateway' };
const rateFields = [
  ['failureRate', 'Failure rate', 'answers 503, does nothing'],
  ['timeoutRate', 'Timeout rate', 'hangs, does nothing'],
  ['lostResponseRate', 'Lost-response rate', 'does the work, answers 502'],
  ['rejectRate', 'Reject rate', 'refuses with 422'],
] as const;
type Settings = { simulator: SimulatorName; latencyMs: number; jitterMs: number; failureRate: number; timeoutRate: number; lostResponseRate: number; rejectRate: number };

const percent = (rate: number) => `${Math.round(rate * 1000) / 10}%`;

export function ThirdPartiesTable() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan('admin');
  const [editing, setEditing] = useState<Settings | null>(null);
  const [confirming, setConfirming] = useState(false);
  const query = useQuery({ ...trpc.thirdParties.overview.queryOptions({ windowMinutes: OBSERVED_WINDOW_MINUTES }), placeholderData: keepPreviousData, refetchInterval: 5_000 });
  const update = useMutation(
    trpc.thirdParties.updateSimulator.mutationOptions({
      onSuccess: async () => {
        setConfirming(false);
        setEditing(null);
        await queryClient.invalidateQueries({ queryKey: trpc.thirdParties.pathKey() });
      },
    }),
  );

  if (query.isPending) return <LoadingRows label="Loading third parties…" />;
  if (query.isError) return <QueryError error={query.error} onRetry={() => void query.refetch()} />;
  const current = editing ? query.data.find((row) => row.simulator === editing.simulator) : null;

  return (
    <>
      <div className="row" style={{ marginBottom: 8 }}>
        <span className="muted">Observed over the last 5 minutes, from our consumers&apos; attempts.</span>
        <span className="spacer" />
        <UpdatedAgo at={query.dataUpdatedAt} />
      </div>
      <table className="data" data-testid="third-parties-table">
        <thead>
          <tr>
            <th>Third party</th>
            <th>Observed error rate</th>
            <th>Simulated latency</th>
            <th>Simulated failures</th>
            <th>Simulated timeouts</th>
            <th>Simulated lost responses</th>
            <th>Simulated rejects</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {query.data.map((row) => (
            <tr key={row.simulator} data-simulator={row.simulator}>
              <td>
                <strong>{names[row.simulator]}</strong>
                <div className="muted">{row.observed.group ? `called by ${groupLabel(row.observed.group)}` : 'not called by our consumers'}</div>
              </td>
              <td data-testid="observed-error-rate">
                {row.observed.errorRate === null ? (
                  <span className="muted">no calls observed</span>
                ) : (
                  <span className={`error-rate ${row.observed.errorRate > 0.05 ? 'high' : ''}`}>{percent(row.observed.errorRate)}</span>
                )}
                <div className="muted">
                  {row.observed.failures} failed / {row.observed.successes} ok in {formatDuration(row.observed.windowMs)}
                </div>
                {row.observed.lastError && <div className="muted">last: {row.observed.lastError}</div>}
              </td>
              <td>
                {row.latencyMs} ms{row.jitterMs ? ` ± ${row.jitterMs}` : ''}
              </td>
              <td>{percent(row.failureRate)}</td>
              <td>{percent(row.timeoutRate)}</td>
              <td>{percent(row.lostResponseRate)}</td>
              <td>{percent(row.rejectRate)}</td>
              <td>
                {isAdmin && (
                  <button type="button" onClick={() => (update.reset(), setEditing({ ...row }))}>
                    Edit
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      {editing && !confirming && (
        <form
          className="panel"
          style={{ marginTop: 16 }}
          aria-label={`Edit ${names[editing.simulator]} simulator`}
          onSubmit={(event) => {
            event.preventDefault();
            setConfirming(true);
          }}
        >
          <h2>{names[editing.simulator]} simulator</h2>
          <div className="settings-form">
            <label className="field">
              Latency (ms)
              <input type="number" min={0} max={60000} value={editing.latencyMs} onChange={(event) => setEditing({ ...editing, latencyMs: Number(event.target.value) })} />
            </label>
            <label className="field">
              Jitter (ms)
              <input type="number" min={0} max={60000} value={editing.jitterMs} onChange={(event) => setEditing({ ...editing, jitterMs: Number(event.target.value) })} />
            </label>
            {rateFields.map(([field, label, hint]) => (
              <label key={field} className="field" title={hint}>
                {label} (0–1)
                <input
                  type="number"
                  min={0}
                  max={1}
                  step={0.05}
                  value={editing[field]}
                  onChange={(event) => setEditing({ ...editing, [field]: Number(event.target.value) })}
                />
                <span className="muted">{hint}</span>
              </label>
            ))}
          </div>
          <div className="row" style={{ marginTop: 12 }}>
            <button type="submit" className="primary">
              Review change…
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <ReasonDialog
        open={confirming && editing !== null}
        title={editing ? `Change the ${names[editing.simulator]} simulator` : ''}
        danger
        preview={
          editing &&
          current && (
            <ul style={{ margin: 0 }}>
              {(['latencyMs', 'jitterMs', ...rateFields.map(([field]) => field)] as const)
                .filter((field) => current[field] !== editing[field])
                .map((field) => (
                  <li key={field}>
                    {field}: {current[field]} → <strong>{editing[field]}</strong>
                  </li>
                ))}
              <li>Applies within a second to every call, in every process.</li>
            </ul>
          )
        }
        confirmLabel="Apply"
        busy={update.isPending}
        error={update.error?.message ?? null}
        onCancel={() => setConfirming(false)}
        onConfirm={(reason, requestId) => editing && update.mutate({ ...editing, reason, requestId })}
      />
    </>
  );
}
