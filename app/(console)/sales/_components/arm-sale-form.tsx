'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useCan } from '@/components/actor';
import { formatTime, parseDateInput, toDateInput } from '@/components/format';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import { waitsForApproval } from '@/components/waits-for-approval';

export function ArmSaleForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const isAdmin = useCan('admin');
  const [fields, setFields] = useState(() => {
    const start = new Date(Date.now() + 5 * 60_000);
    return { name: '', sku: '', units: '100', price: '', startsAt: toDateInput(start), endsAt: toDateInput(new Date(start.getTime() + 60 * 60_000)), perBuyerLimit: '1' };
  });
  const [open, setOpen] = useState(false);
  const [waiting, setWaiting] = useState<string | null>(null);
  const arm = useMutation(trpc.sales.arm.mutationOptions());

  if (!isAdmin) return null;
  const set = (name: keyof typeof fields) => (event: { target: { value: string } }) => setFields((current) => ({ ...current, [name]: event.target.value }));
  const units = Number(fields.units);
  const priceCents = Math.round(Number(fields.price) * 100);
  const startsAt = parseDateInput(fields.startsAt);
  const endsAt = parseDateInput(fields.endsAt);
  const perBuyerLimit = Number(fields.perBuyerLimit);
  const problem =
    !Number.isInteger(units) || units < 1
      ? 'Units must be a whole number of at least 1.'
      : !(priceCents > 0)
        ? 'Give the sale price, e.g. 9.99.'
        : !startsAt || !endsAt
          ? 'Give a start and an end time.'
          : endsAt <= startsAt
            ? 'The end must come after the start.'
            : !Number.isInteger(perBuyerLimit) || perBuyerLimit < 1
              ? 'The per-buyer limit must be a whole number of at least 1.'
              : null;

  function confirm(reason: string, requestId: string) {
    arm.mutate(
      { name: fields.name.trim(), sku: fields.sku.trim(), units, priceCents, startsAt: startsAt!, endsAt: endsAt!, perBuyerLimit, reason, requestId },
      {
        onSuccess: (sale) => {
          setOpen(false);
          void queryClient.invalidateQueries({ queryKey: trpc.sales.pathKey() });
          router.push(`/sales/${encodeURIComponent(sale.saleId)}`);
        },
        onError: (error) => {
          if (!waitsForApproval(error)) return;
          setOpen(false);
          setWaiting(error.message);
          void queryClient.invalidateQueries({ queryKey: trpc.approvals.pathKey() });
        },
      },
    );
  }

  return (
    <section className="panel" aria-label="Define a sale">
      <h2>Define and arm a sale</h2>
      <form
        className="filters"
        onSubmit={(event) => {
          event.preventDefault();
          arm.reset();
          setWaiting(null);
          setOpen(true);
        }}
      >
        <label className="field">
          Name
          <input value={fields.name} onChange={set('name')} placeholder="e.g. Singles' Day headphones" maxLength={200} required />
        </label>
        <label className="field">
          SKU
          <input value={fields.sku} onChange={set('sku')} placeholder="e.g. SKU-HEADPHONES" maxLength={100} required className="mono" />
        </label>
        <label className="field">
          Units
          <input type="number" min={1} step={1} value={fields.units} onChange={set('units')} required />
        </label>
        <label className="field">
          Sale price
          <input type="number" min={0.01} step={0.01} value={fields.price} onChange={set('price')} placeholder="9.99" required />
        </label>
        <label className="field">
          Starts
          <input type="datetime-local" value={fields.startsAt} onChange={set('startsAt')} required />
        </label>
        <label className="field">
          Ends
          <input type="datetime-local" value={fields.endsAt} onChange={set('endsAt')} required />
        </label>
        <label className="field">
          Per-buyer limit
          <input type="number" min={1} step={1} value={fields.perBuyerLimit} onChange={set('perBuyerLimit')} required />
        </label>
        <button type="submit" className="primary" disabled={problem !== null || !fields.name.trim() || !fields.sku.trim()} title={problem ?? undefined}>
          Arm sale…
        </button>
      </form>
      {problem && fields.price !== '' && (
        <p className="muted" role="status">
          {problem}
        </p>
      )}
      {waiting && (
        <div className="notice" role="status" data-testid="sale-waiting-for-approval">
          Waiting for approval. {waiting}
        </div>
      )}
      <ReasonDialog
        open={open}
        title={`Arm sale “${fields.name.trim()}”`}
        preview={
          <p>
            Takes {units.toLocaleString()} units of <span className="mono">{fields.sku.trim()}</span> off its available stock now (refused if it has fewer), sells them at{' '}
            {(priceCents / 100).toFixed(2)} with at most {perBuyerLimit} per buyer from {formatTime(startsAt)} to {formatTime(endsAt)}. What is not sold goes back to stock when the sale ends. A
            large sale waits for a second person’s approval.
          </p>
        }
        confirmLabel="Arm sale"
        busy={arm.isPending}
        error={arm.error && !waitsForApproval(arm.error) ? arm.error.message : null}
        onCancel={() => setOpen(false)}
        onConfirm={confirm}
      />
    </section>
  );
}
