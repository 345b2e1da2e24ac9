'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';

const bulkActions = {
  repushShipment: { label: 'Re-push to WMS', preview: 'Each order whose warehouse push is failing is pushed again now.' },
  retryRefund: { label: 'Retry refund', preview: "Each order's failed refund is asked of the provider again (idempotent by refund id)." },
  closeOrder: { label: 'Close order', preview: 'Each unpaid order is closed and its reserved units go back on sale.' },
} as const;
type BulkKind = keyof typeof bulkActions;

/**
 * One compensation over many pasted orders, run by the server as the same audited, idempotent
 * command per order (a request id per order derived from this opening), with a result line per
 * order. Orders the action does not fit are refused by the service and listed with its reason.
 * Its progress shows above the search while it runs, and after a reload.
 */
export function BulkCompensation({ orderIds, onDone }: { orderIds: string[]; onDone(): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<BulkKind | null>(null);
  const [results, setResults] = useState<{ orderId: string; ok: boolean; message: string }[]>([]);
  const [lastAction, setLastAction] = useState<string>('');
  const bulk = useMutation(trpc.orders.bulkCompensate.mutationOptions({ retry: false }));
  const [error, setError] = useState<string | null>(null);

  async function run(reason: string, requestId: string) {
    if (!kind) return;
    // The dialog closes at once: the progress panel, polling the server, shows the run from here on.
    setKind(null);
    setError(null);
    setLastAction(bulkActions[kind].label);
    try {
      const result = await bulk.mutateAsync({ action: kind, orderIds, reason, requestId });
      setResults(result.outcomes);
      onDone();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
    await queryClient.invalidateQueries({ queryKey: trpc.orders.pathKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.longWork.pathKey() });
  }

  return (
    <div className="panel" aria-label="Act on the selected orders">
      <div className="row wrap">
        <strong>{orderIds.length} selected</strong>
        {(Object.keys(bulkActions) as BulkKind[]).map((action) => (
          <button key={action} type="button" disabled={orderIds.length === 0 || bulk.isPending} onClick={() => (setResults([]), setKind(action))}>
            {bulkActions[action].label}…
          </button>
        ))}
      </div>
      {error && (
        <div className="error-box" role="alert">
          {lastAction}: {error}
        </div>
      )}
      {results.length > 0 && (
        <ul className="reasons" role="status" style={{ marginTop: 8 }} aria-label={`Result of ${lastAction}`}>
          <li className="muted">
            {lastAction}: {results.filter((result) => result.ok).length} done, {results.filter((result) => !result.ok).length} refused
          </li>
          {results.map((result) => (
            <li key={result.orderId}>
              <span className={`badge ${result.ok ? 'ok' : 'error'}`}>{result.ok ? 'done' : 'refused'}</span> <span className="mono">{result.orderId}</span>{' '}
              {!result.ok && result.message}
            </li>
          ))}
        </ul>
      )}
      <ReasonDialog
        open={kind !== null}
        title={kind ? `${bulkActions[kind].label}: ${orderIds.length} orders` : ''}
        preview={
          kind && (
            <>
              <p style={{ margin: '0 0 6px' }}>
                {bulkActions[kind].preview} Orders it does not apply to are skipped and listed with the reason.
              </p>
              <ul className="sample mono">
                {orderIds.slice(0, 10).map((orderId) => (
                  <li key={orderId}>{orderId}</li>
                ))}
                {orderIds.length > 10 && <li>…and {orderIds.length - 10} more</li>}
              </ul>
            </>
          )
        }
        confirmLabel={kind ? `${bulkActions[kind].label} (${orderIds.length})` : 'Confirm'}
        danger={kind === 'closeOrder'}
        busy={bulk.isPending}
        onCancel={() => setKind(null)}
        onConfirm={(reason, requestId) => void run(reason, requestId)}
      />
    </div>
  );
}
