'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { authClient } from '@/components/auth-client';

function explain(error: { status?: number; message?: string }, retryAfter: string | null): string {
  // Our throttle says which limit was hit (a locked account or a busy address) and until when.
  if (error.status === 429 && error.message) return error.message;
  if (error.status === 429) return `Too many sign-in attempts. Wait ${retryAfter ?? 'a minute'} seconds and try again.`;
  if (error.status === 401 || error.status === 400) return 'Wrong email or password. Check both and try again.';
  return error.message ?? 'Sign-in failed. Try again.';
}

export function SignInForm() {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    let retryAfter: string | null = null;
    const result = await authClient.signIn.email(
      { email: String(form.get('email')), password: String(form.get('password')) },
      { onError: (context) => void (retryAfter = context.response.headers.get('x-retry-after')) },
    );
    if (result.error) {
      setError(explain(result.error, retryAfter));
      setBusy(false);
      return;
    }
    // After an admin's forced reset, the only thing left to do is set a new password.
    router.replace((result.data?.user as { mustChangePassword?: boolean } | undefined)?.mustChangePassword ? '/account' : '/');
    router.refresh();
  }

  return (
    <form onSubmit={submit}>
      <label className="field">
        Email
        <input name="email" type="email" autoComplete="username" required />
      </label>
      <label className="field">
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error && (
        <div className="error-box" role="alert">
          {error}
        </div>
      )}
      <button className="primary" type="submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
