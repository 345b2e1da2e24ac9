'use client';

import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

export interface ReasonDialogProps {
  open: boolean;
  title: string;
  /** What the action will do, shown before the operator confirms. */
  preview: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  error?: string | null;
  onCancel(): void;
  /** Called with the reason and a request id that stays the same for this opening, so a double submit acts once. */
  onConfirm(reason: string, requestId: string): void;
}

export function ReasonDialog({ open, title, preview, confirmLabel, danger, busy, error, onCancel, onConfirm }: ReasonDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [requestId, setRequestId] = useState('');
  // Unique per dialog: a page may hold several, and each is named by its own title.
  const titleId = useId();

  useEffect(() => {
    if (open) {
      setReason('');
      setRequestId(crypto.randomUUID());
      dialog.current?.showModal();
    } else {
      dialog.current?.close();
    }
  }, [open]);

  const tooShort = reason.trim().length < 3;
  return (
    <dialog ref={dialog} onCancel={onCancel} aria-labelledby={titleId}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!tooShort && !busy) onConfirm(reason.trim(), requestId);
        }}
      >
        <h2 id={titleId}>{title}</h2>
        <div className="notice">{preview}</div>
        <label className="field">
          Reason (kept in the audit log)
          <textarea name="reason" value={reason} onChange={(event) => setReason(event.target.value)} required autoFocus />
        </label>
        {error && (
          <div className="error-box" role="alert">
            {error}
          </div>
        )}
        <div className="actions">
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className={danger ? 'danger' : 'primary'} disabled={tooShort || busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
