'use client';

import { useEffect, useState } from 'react';
import { askHealth } from './ask-health';

/**
 * What an error boundary shows when a screen failed to render on the server. Next.js
 * replaces a server error's message with a generic one in production, so the screen asks
 * /api/health whether the database is the cause, and gives the digest that finds the
 * error in the server log.
 */
export function ScreenError({ error, retry }: { error: Error & { digest?: string }; retry: () => void }) {
  const [healthProblem, setHealthProblem] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    void askHealth().then((health) => current && setHealthProblem(health.ok ? null : health.problem));
    return () => {
      current = false;
    };
  }, [error]);

  return (
    <div className="panel screen-error" role="alert" data-testid="screen-error">
      <h2>This screen could not be shown</h2>
      {healthProblem ? <p>{healthProblem}</p> : <p>Something failed while it was being prepared. Trying again usually helps; if it keeps failing, report the reference below.</p>}
      {error.digest && <p className="muted">Reference for the server log: {error.digest}</p>}
      <button type="button" onClick={() => retry()}>
        Try again
      </button>
    </div>
  );
}
