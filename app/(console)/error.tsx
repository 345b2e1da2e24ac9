'use client';

import { ScreenError } from '@/components/screen-error';

/** A console screen that failed to render: shown inside the console, so navigation still works. */
export default function ConsoleScreenError({ error, retry }: { error: Error & { digest?: string }; retry: () => void }) {
  return <ScreenError error={error} retry={retry} />;
}
