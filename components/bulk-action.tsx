'use client';

import { useQueryClient, type QueryKey, type UseQueryResult } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { ReasonDialog } from './reason-dialog';

/** An action over many rows, waiting for the operator to confirm it. */
export interface PendingBulkAction<Kind extends string, Selection> {
  kind: Kind;
  /** What the server acts on: explicit ids, or a filter. */
  selection: Selection;
  /** The selection in words, for the confirmation: "the 3 selected", "dead letter #12". */
  description: string;
}

/**
 * The bulk actions of a console table: the rows the operator ticked, the action waiting for
 * confirmation, and the sentence that reports the last one that ran.
 */
export function useBulkAction<Kind extends string, Selection, Id = number>({ invalidates }: { invalidates: QueryKey }) {
  const queryClient = useQueryClient();
  const [selected, setSelected] = useState<Id[]>([]);
  const [pending, setPending] = useState<PendingBulkAction<Kind, Selection> | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  return {
    selected,
    setSelected,
    pending,
    outcome,
    /** Asks the operator to confirm. The table's mutations are reset, so an earlier failure is not shown again. */
    open(action: PendingBulkAction<Kind, Selection>, mutations: { reset(): void }[]) {
      for (const mutation of mutations) mutation.reset();
      setOutcome(null);
      setPending(action);
    },
    cancel: () => setPending(null),
    /** Once the action ran: report it, untick the rows and refetch what it changed. */
    async finish(outcome: string) {
      setOutcome(outcome);
      setSelected([]);
      setPending(null);
      await queryClient.invalidateQueries({ queryKey: invalidates });
    },
  };
}

/** The sentence that reports the last bulk action that ran. */
export function BulkOutcome({ outcome }: { outcome: string | null }) {
  if (!outcome) return null;
  return (
    <div className="notice" role="status">
      {outcome}
    </div>
  );
}

export interface BulkActionDialogProps<Kind extends string, Selection, Preview extends { count: number }> {
  bulk: { pending: PendingBulkAction<Kind, Selection> | null; cancel(): void };
  /** The server's count, and first rows, of what the pending action would touch. */
  preview: UseQueryResult<Preview, { message: string }>;
  /** The mutation the pending action runs. */
  mutation: { isPending: boolean; error: { message: string } | null };
  title: string;
  danger?: boolean;
  confirmLabel: string;
  onConfirm(action: PendingBulkAction<Kind, Selection>, reason: string, requestId: string): void;
  /** What the action will do, once counted; `count` is the number, marked for the journeys. */
  children(action: PendingBulkAction<Kind, Selection>, preview: Preview, count: ReactNode): ReactNode;
}

/** Shows what a bulk action will touch (count and first rows) and asks for a reason before it runs. */
export function BulkActionDialog<Kind extends string, Selection, Preview extends { count: number }>({
  bulk,
  preview,
  mutation,
  title,
  danger,
  confirmLabel,
  onConfirm,
  children,
}: BulkActionDialogProps<Kind, Selection, Preview>) {
  const { pending } = bulk;
  return (
    <ReasonDialog
      open={pending !== null}
      title={title}
      danger={danger}
      preview={
        pending &&
        (preview.isPending ? (
          'Counting what this will touch…'
        ) : preview.isError ? (
          <span role="alert">Could not count: {preview.error.message}</span>
        ) : (
          <div data-testid="bulk-preview">{children(pending, preview.data, <strong data-testid="bulk-count">{preview.data.count}</strong>)}</div>
        ))
      }
      confirmLabel={confirmLabel}
      busy={mutation.isPending || preview.isPending}
      error={mutation.error?.message ?? null}
      onCancel={bulk.cancel}
      onConfirm={(reason, requestId) => pending && onConfirm(pending, reason, requestId)}
    />
  );
}
