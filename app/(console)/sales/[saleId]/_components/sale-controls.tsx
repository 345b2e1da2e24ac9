'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useCan } from '@/components/actor';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import type { AppRouter } from '@/server/trpc/root';
import type { inferRouterOutputs } from '@trpc/server';

type Action = { kind: 'pause' } | { kind: 'resume' } | { kind: 'end' } | { kind: 'limit'; perBuyerLimit: number };

type Sale = inferRouterOutputs<AppRouter>['sales']['figures']['sale'];

export function SaleControls({ sale }: { sale: Sale }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // As the sales router requires: on-call holds a running sale, an admin sets its terms.
  const canHold = useCan('oncall');
  const canChangeLimit = useCan('admin');
  const [action, setAction] = useState<Action | null>(null);
  const [limit, setLimit] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const pause = useMutation(trpc.sales.pause.mutationOptions());
  const resume = useMutation(trpc.sales.resume.mutationOptions());
  const end = useMutation(trpc.sales.end.mutationOptions());
  const changeLimit = useMutation(trpc.sales.changeBuyerLimit.mutationOptions());
  const mutations = [pause, resume, end, changeLimit];
  const busy = mutations.some((mutation) => mutation.isPending);
  const error = mutations.map((mutation) => mutation.error?.message).find(Boolean) ?? null;

  if (sale.state === 'ended') return null;
  if (!canHold) {
    return (
      <p className="muted" data-testid="sale-controls-read-only">
        On-call and admins pause, resume and end a sale; admins change its per-buyer limit. Your role reads it.
      </p>
    );
  }

  const open = (next: Action) => {
    for (const mutation of mutations) mutation.reset();
    setAction(next);
  };
  const newLimit = Number(limit);
  const limitValid = Number.isInteger(newLimit) && newLimit >= 1 && newLimit !== sale.perBuyerLimit;

  function confirm(reason: string, requestId: string) {
    if (!action) return;
    const done = (message: string) => {
      setAction(null);
      setNotice(message);
      void queryClient.invalidateQueries({ queryKey: trpc.sales.pathKey() });
    };
    const input = { saleId: sale.id, reason, requestId };
    if (action.kind === 'pause') pause.mutate(input, { onSuccess: () => done('Paused: attempts are answered “not live” until it is resumed. Admitted buyers keep their units.') });
    else if (action.kind === 'resume') resume.mutate(input, { onSuccess: () => done('Resumed: attempts are decided again.') });
    else if (action.kind === 'end') end.mutate(input, { onSuccess: () => done('Ended: what was left went back to the SKU’s normal stock.') });
    else changeLimit.mutate({ ...input, perBuyerLimit: action.perBuyerLimit }, { onSuccess: () => (done(`The per-buyer limit is now ${action.perBuyerLimit}.`), setLimit('')) });
  }

  const titles: Record<Action['kind'], string> = { pause: 'Pause the sale', resume: 'Resume the sale', end: 'End the sale', limit: 'Change the per-buyer limit' };
  const previews: Record<Action['kind'], string> = {
    pause: 'Attempts will be answered “not live” until someone resumes it. Buyers already admitted keep their units and can still pay.',
    resume: 'Attempts will be decided again, against the units left.',
    end: `The sale ends for good: attempts are answered “not live”, and the units left go back to ${sale.sku}'s normal stock. Admitted buyers can still pay; their unpaid units go back to stock too. This cannot be undone.`,
    limit: action?.kind === 'limit' ? `Each buyer may then be admitted for at most ${action.perBuyerLimit} unit(s) (now ${sale.perBuyerLimit}). Buyers already above a lowered limit keep what they have.` : '',
  };

  return (
    <>
      <div className="row wrap" data-testid="sale-controls">
        {sale.state === 'live' && (
          <button type="button" onClick={() => open({ kind: 'pause' })}>
            Pause…
          </button>
        )}
        {sale.state === 'paused' && (
          <button type="button" className="primary" onClick={() => open({ kind: 'resume' })}>
            Resume…
          </button>
        )}
        <button type="button" className="danger-outline" onClick={() => open({ kind: 'end' })}>
          End sale…
        </button>
        {canChangeLimit && (
          <form
            className="row"
            onSubmit={(event) => {
              event.preventDefault();
              if (limitValid) open({ kind: 'limit', perBuyerLimit: newLimit });
            }}
          >
            <label className="field">
              New per-buyer limit
              <input type="number" min={1} step={1} value={limit} onChange={(event) => setLimit(event.target.value)} placeholder={String(sale.perBuyerLimit)} />
            </label>
            <button type="submit" disabled={!limitValid}>
              Change limit…
            </button>
          </form>
        )}
      </div>
      {notice && (
        <div className="notice" role="status" data-testid="sale-notice">
          {notice}
        </div>
      )}
      <ReasonDialog
        open={action !== null}
        title={action ? titles[action.kind] : ''}
        preview={<p>{action ? previews[action.kind] : null}</p>}
        confirmLabel={action?.kind === 'end' ? 'End the sale' : action?.kind === 'pause' ? 'Pause' : action?.kind === 'resume' ? 'Resume' : 'Change limit'}
        danger={action?.kind === 'end'}
        busy={busy}
        error={error}
        onCancel={() => setAction(null)}
        onConfirm={confirm}
      />
    </>
  );
}
