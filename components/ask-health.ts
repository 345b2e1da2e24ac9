import { BACKGROUND_REQUEST_HEADER } from '@/shared/session';

/** What /api/health says, from the browser: whether the console can serve, and if not, why in its words. */
export async function askHealth(): Promise<{ ok: true } | { ok: false; problem: string }> {
  try {
    // Polled while waiting for the database: it must not keep the session alive.
    const response = await fetch('/api/health', { cache: 'no-store', headers: { [BACKGROUND_REQUEST_HEADER]: '1' } });
    const health = (await response.json().catch(() => ({}))) as { ok?: boolean; message?: string };
    if (response.ok && health.ok) return { ok: true };
    // Anonymous callers (a browser whose session cannot be checked while the database is down) are told only ok or not.
    return {
      ok: false,
      problem: health.message ?? `the health check answered HTTP ${response.status}, not ok. Check that PostgreSQL is running and migrations are current; the details are at /api/health for the metrics token.`,
    };
  } catch (error) {
    return { ok: false, problem: `the console did not answer its health check (${error instanceof Error ? error.message : String(error)})` };
  }
}
