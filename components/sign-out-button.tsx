'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { authClient } from './auth-client';

export function SignOutButton() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      disabled={busy}
      style={{ marginTop: 8 }}
      onClick={async () => {
        setBusy(true);
        await authClient.signOut();
        router.replace('/sign-in');
        router.refresh();
      }}
    >
      Sign out
    </button>
  );
}
