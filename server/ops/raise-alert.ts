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

/** Where new alerts are POSTed as JSON; unset means no webhook. */
export function alertWebhookUrl(): string | null {
  return process.env.ALERT_WEBHOOK_URL?.trim() || null;
}

/**
 * Opens an alert, or, when one with this dedupe key is still open or acknowledged, counts
 * another occurrence on it (latest details win). Runs in the caller's transaction, in one
 * statement that also queues the webhook delivery of a newly opened alert (an outbox row,
 * so a crash cannot open an alert without its delivery). A rule an operator switched off
 * (alert_rules.enabled, by kind) raises nothing: the answer is then `{ id: 0, count: 0 }`.
 */
export async function raiseAlert(executor: Executor, input: RaiseAlertInput): Promise<{ id: number; count: number }> {
  const webhookUrl = alertWebhookUrl();
  const [row] = await executor.execute<{ id: number; count: number }>(sql`
    with raised as (
      insert into alerts (kind, severity, dedupe_key, title, details)
      select ${input.kind}, ${input.severity}, ${input.dedupeKey}, ${input.title}, ${JSON.stringify(input.details ?? {})}::jsonb
      where coalesce((select enabled from alert_rules where rule = ${input.kind}), true)
      on conflict (dedupe_key) where status <> 'resolved' do update
        set count = alerts.count + 1,
            last_seen_at = now(),
            details = excluded.details,
            severity = excluded.severity,
            title = excluded.title
      returning id, count, (xmax = 0) as opened, kind, severity, title, details, first_seen_at
    ), queued as (
      insert into alert_deliveries (alert_id, url, payload)
      select id, ${webhookUrl}::text, jsonb_build_object(
        'event', 'alert.opened',
        'alert', jsonb_build_object('id', id, 'kind', kind, 'severity', severity, 'title', title, 'details', details, 'firstSeenAt', first_seen_at))
      from raised where opened and ${webhookUrl}::text is not null
    )
    select id::int as id, count from raised`);
  return row ?? { id: 0, count: 0 };
}
