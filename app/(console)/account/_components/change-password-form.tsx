'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { useActor } from '@/components/actor';
import { useTRPC } from '@/components/trpc';

export function ChangePasswordForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const actor = useActor();
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation(
    trpc.account.changePassword.mutationOptions({
      // The shell (banner, what the user may do) is rendered on the server from the session.
      onSuccess: () => router.refresh(),
    }),
  );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const newPassword = String(form.get('newPassword'));
    setMismatch(newPassword !== String(form.get('confirmPassword')));
    if (newPassword !== String(form.get('confirmPassword'))) return;
    change.mutate({ currentPassword: String(form.get('currentPassword')), newPassword, reason: 'Changed their own password', requestId: crypto.randomUUID() });
    event.currentTarget.reset();
  }

  return (
    <form onSubmit={submit} style={{ display: 'flex', flexDirection: 'column', gap: 10, maxWidth: 420 }} aria-label="Change password">
      {actor?.mustChangePassword && (
        <div className="error-box" role="status">
          An admin asked you to set a new password. Set one here to use the console again.
        </div>
      )}
      <label className="field">
        Current password
        <input name="currentPassword" type="password" autoComplete="current-password" required />
      </label>
      <label className="field">
        New password (at least 8 characters)
        <input name="newPassword" type="password" autoComplete="new-password" minLength={8} required />
      </label>
      <label className="field">
        New password again
        <input name="confirmPassword" type="password" autoComplete="new-password" minLength={8} required />
      </label>
      {mismatch && (
        <div className="error-box" role="alert">
          The two new passwords differ. Type the same one twice.
        </div>
      )}
      {change.error && (
        <div className="error-box" role="alert">
          {change.error.message}
        </div>
      )}
      {change.isSuccess && (
        <div className="ok-box" role="status" data-testid="password-changed">
          Password changed.{' '}
          {change.data.otherSessionsEnded > 0 ? `${change.data.otherSessionsEnded} other session(s) were signed out.` : 'You had no other sessions.'}
        </div>
      )}
      <button className="primary" type="submit" disabled={change.isPending}>
        {change.isPending ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}
