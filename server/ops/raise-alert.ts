import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { AlertSeverity } from '@/db/schema';

export interface RaiseAlertInput {
  kind: string;
  severity: AlertSeverity;
  /** Alerts with the same key are one alert while it is not resolved. */
  dedupeKey: string;
  title: string;
  details?: Record<string, unknown>;
}

/**
 * Opens an alert, or, when one with this dedupe key is still open or acknowledged, counts
 * another occurrence on it (latest details win). Runs in the caller's transaction.
 */
export async function raiseAlert(executor: Executor, input: RaiseAlertInput): Promise<{ id: number; count: number }> {
  const [row] = await executor.execute<{ id: number; count: number }>(sql`
    insert into alerts (kind, severity, dedupe_key, title, details)
    values (${input.kind}, ${input.severity}, ${input.dedupeKey}, ${input.title}, ${JSON.stringify(input.details ?? {})}::jsonb)
    on conflict (dedupe_key) where status <> 'resolved' do update
      set count = alerts.count + 1,
          last_seen_at = now(),
          details = excluded.details,
          severity = excluded.severity,
          title = excluded.title
    returning id::int as id, count`);
  return row!;
}
