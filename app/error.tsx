'use client';

import { ScreenError } from '@/components/screen-error';

/** Errors above the console screens (the console's own layout, the sign-in page). */
export default function AppError({ error, retry }: { error: Error & { digest?: string }; retry: () => void }) {
  return (
    <main className="signin">
      <ScreenError error={error} retry={retry} />
    </main>
  );
}
