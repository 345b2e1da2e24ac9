'use client';

import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import { askHealth } from './ask-health';

const CHECK_EVERY_MS = 5_000;

/**
 * Shown instead of a console screen while the database cannot be reached. It asks
 * /api/health every few seconds and, once the database answers, renders the screen again by
 * itself, so an operator who opened the console during a restart need not keep reloading.
 */
export function WaitingForDatabase({ message }: { message: string }) {
  const router = useRouter();
  const [lastCheck, setLastCheck] = useState<{ at: Date; said: string } | null>(null);
  const [checking, setChecking] = useState(false);

  const check = useCallback(async () => {
    setChecking(true);
    const health = await askHealth();
    setChecking(false);
    if (health.ok) router.refresh();
    else setLastCheck({ at: new Date(), said: health.problem });
  }, [router]);

  useEffect(() => {
    const timer = setInterval(() => void check(), CHECK_EVERY_MS);
    return () => clearInterval(timer);
  }, [check]);

  return (
    <div className="signin">
      <div className="card" role="alert" data-testid="database-unavailable">
        <h1>The database is not reachable</h1>
        <p>{message}</p>
        <p className="muted">
          This page reloads by itself once the database answers (checked every {CHECK_EVERY_MS / 1000} s).
          {lastCheck && (
            <>
              {' '}
              Last check at {lastCheck.at.toLocaleTimeString()}: {lastCheck.said}
            </>
          )}
        </p>
        <button type="button" onClick={() => void check()} disabled={checking}>
          {checking ? 'Checking…' : 'Check now'}
        </button>
      </div>
    </div>
  );
}
