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
 * One compensation over many pasted orders: the same audited, idempotent mutation per order
 * (a request id per order derived from this opening), with a result line per order. Orders
 * the action does not fit are refused by the service and listed with its reason.
 */
export function BulkCompensation({ orderIds, onDone }: { orderIds: string[]; onDone(): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<BulkKind | null>(null);
  const [results, setResults] = useState<{ orderId: string; ok: boolean; message: string }[]>([]);
  const [lastAction, setLastAction] = useState<string>('');
  const options = { retry: false } as const;
  const mutations = {
    repushShipment: useMutation(trpc.orders.repushShipment.mutationOptions(options)),
    retryRefund: useMutation(trpc.orders.retryRefund.mutationOptions(options)),
    closeOrder: useMutation(trpc.orders.closeOrder.mutationOptions(options)),
  };
  const [busy, setBusy] = useState(false);

  async function run(reason: string, requestId: string) {
    if (!kind) return;
    setBusy(true);
    const outcome: typeof results = [];
    for (const orderId of orderIds) {
      try {
        await mutations[kind].mutateAsync({ orderId, reason, requestId: `${requestId}:${orderId}` });
        outcome.push({ orderId, ok: true, message: 'done' });
      } catch (error) {
        outcome.push({ orderId, ok: false, message: error instanceof Error ? error.message : String(error) });
      }
    }
    setResults(outcome);
    setLastAction(bulkActions[kind].label);
    setBusy(false);
    setKind(null);
    onDone();
    await queryClient.invalidateQueries({ queryKey: trpc.orders.pathKey() });
  }

  return (
    <div className="panel" aria-label="Act on the selected orders">
      <div className="row wrap">
        <strong>{orderIds.length} selected</strong>
        {(Object.keys(bulkActions) as BulkKind[]).map((action) => (
          <button key={action} type="button" disabled={orderIds.length === 0} onClick={() => (setResults([]), setKind(action))}>
            {bulkActions[action].label}…
          </button>
        ))}
      </div>
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
        busy={busy}
        onCancel={() => setKind(null)}
        onConfirm={(reason, requestId) => void run(reason, requestId)}
      />
    </div>
  );
}
