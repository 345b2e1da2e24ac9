'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useCan } from '@/components/actor';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import type { Compensation } from '@/server/orders/order-details';

/** The order's compensation buttons: support and above, and only those that make sense for the order's state (decided on the server). */
export function Compensations({ orderId, compensations }: { orderId: string; compensations: Compensation[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canAct = useCan('support');
  const [open, setOpen] = useState<Compensation | null>(null);
  const [providerReference, setProviderReference] = useState('');
  const [done, setDone] = useState<string | null>(null);

  const onSuccess = async () => {
    setDone(`${open?.label ?? 'Action'} done.`);
    setOpen(null);
    await queryClient.invalidateQueries({ queryKey: trpc.orders.pathKey() });
  };
  const mutations = {
    repushShipment: useMutation(trpc.orders.repushShipment.mutationOptions({ onSuccess })),
    cancelShipment: useMutation(trpc.orders.cancelShipment.mutationOptions({ onSuccess })),
    releaseStock: useMutation(trpc.orders.releaseStock.mutationOptions({ onSuccess })),
    retryRefund: useMutation(trpc.orders.retryRefund.mutationOptions({ onSuccess })),
    markRefundDone: useMutation(trpc.orders.markRefundDone.mutationOptions({ onSuccess })),
    reversePoints: useMutation(trpc.orders.reversePoints.mutationOptions({ onSuccess })),
    revokeCoupon: useMutation(trpc.orders.revokeCoupon.mutationOptions({ onSuccess })),
    closeOrder: useMutation(trpc.orders.closeOrder.mutationOptions({ onSuccess })),
  };
  const active = open ? mutations[open.kind] : null;

  if (!canAct) return null;
  return (
    <section className="panel" aria-label="Compensations">
      <h2>Fix this order</h2>
      {done && (
        <div className="notice" role="status">
          {done}
        </div>
      )}
      {compensations.length === 0 ? (
        <p className="muted">Nothing to fix by hand in this state: no compensation applies to the order as it is now.</p>
      ) : (
        <div className="row wrap">
          {compensations.map((compensation) => (
            <button
              key={compensation.kind}
              type="button"
              className={compensation.danger ? 'danger-outline' : undefined}
              onClick={() => {
                Object.values(mutations).forEach((mutation) => mutation.reset());
                setProviderReference('');
                setDone(null);
                setOpen(compensation);
              }}
            >
              {compensation.label}
            </button>
          ))}
        </div>
      )}
      <ReasonDialog
        open={open !== null}
        title={open ? `${open.label}: ${orderId}` : ''}
        danger={open?.danger}
        preview={
          open && (
            <>
              <p style={{ margin: 0 }}>{open.preview}</p>
              {open.needsProviderReference && (
                <label className="field" style={{ marginTop: 10 }}>
                  Provider&apos;s refund reference
                  <input value={providerReference} onChange={(event) => setProviderReference(event.target.value)} placeholder="from the provider's back office" required />
                </label>
              )}
            </>
          )
        }
        confirmLabel={open?.label ?? 'Confirm'}
        busy={active?.isPending}
        error={active?.error?.message ?? null}
        onCancel={() => setOpen(null)}
        onConfirm={(reason, requestId) => {
          if (!open) return;
          if (open.kind === 'markRefundDone') mutations.markRefundDone.mutate({ orderId, reason, requestId, providerReference });
          else mutations[open.kind].mutate({ orderId, reason, requestId });
        }}
      />
    </section>
  );
}
