'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTRPC } from '@/components/trpc';
import { roles, type Role } from '@/shared/roles';

export function AddUserButton() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [requestId, setRequestId] = useState('');
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: async () => {
        setOpen(false);
        await queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
      },
    }),
  );

  useEffect(() => {
    if (open) {
      create.reset();
      setRequestId(crypto.randomUUID());
      dialog.current?.showModal();
    } else dialog.current?.close();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    create.mutate({
      email: String(form.get('email')),
      name: String(form.get('name')),
      role: String(form.get('role')) as Role,
      password: String(form.get('password')),
      reason: String(form.get('reason')),
      requestId,
    });
  }

  return (
    <>
      <button type="button" className="primary" onClick={() => setOpen(true)}>
        Add user
      </button>
      <dialog ref={dialog} onCancel={() => setOpen(false)} aria-labelledby="add-user-title">
        {open && (
          <form onSubmit={submit} style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
            <h2 id="add-user-title">Add user</h2>
            <label className="field">
              Email
              <input name="email" type="email" required />
            </label>
            <label className="field">
              Name
              <input name="name" required />
            </label>
            <label className="field">
              Role
              <select name="role" defaultValue="viewer">
                {roles.map((role) => (
                  <option key={role}>{role}</option>
                ))}
              </select>
            </label>
            <label className="field">
              Initial password
              <input name="password" type="password" minLength={8} required autoComplete="new-password" />
            </label>
            <label className="field">
              Reason (kept in the audit log)
              <textarea name="reason" minLength={3} required />
            </label>
            {create.error && (
              <div className="error-box" role="alert">
                {create.error.message}
              </div>
            )}
            <div className="actions">
              <button type="button" onClick={() => setOpen(false)} disabled={create.isPending}>
                Cancel
              </button>
              <button type="submit" className="primary" disabled={create.isPending}>
                {create.isPending ? 'Adding…' : 'Add user'}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </>
  );
}
