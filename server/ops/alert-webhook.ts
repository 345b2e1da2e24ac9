import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import type { AlertDelivery } from '@/db/schema';

export type AlertDeliveryRow = AlertDelivery;

export interface AlertWebhookOptions {
  maxAttempts: number;
  backoff: { baseMs: number; maxMs: number };
  timeoutMs: number;
}

export const defaultAlertWebhookOptions: AlertWebhookOptions = {
  maxAttempts: Number(process.env.ALERT_WEBHOOK_ATTEMPTS ?? 10),
  backoff: { baseMs: 2_000, maxMs: 5 * 60_000 },
  timeoutMs: 5_000,
};

/**
 * POSTs due alert deliveries. Rows are claimed with SKIP LOCKED and a lease (next attempt
 * pushed 60 s ahead) before the HTTP call, so several processes never post the same row at
 * once and a process that dies mid-call leaves it to be retried. A 2xx delivers; anything
 * else retries with backoff until the attempts run out. The receiver can deduplicate by the
 * Idempotency-Key header, since a delivery may arrive twice when its answer is lost.
 */
export async function deliverDueAlertWebhooks(db: Executor, options: AlertWebhookOptions = defaultAlertWebhookOptions, limit = 20): Promise<number> {
  const claimed = await db.execute<{ id: number; url: string; payload: Record<string, unknown>; attempts: number }>(sql`
    update alert_deliveries set attempts = attempts + 1, next_attempt_at = now() + interval '60 seconds'
     where id in (
       select id from alert_deliveries
        where delivered_at is null and failed_at is null and next_attempt_at <= now()
        order by next_attempt_at limit ${limit} for update skip locked)
    returning id::int as id, url, payload, attempts`);
  await Promise.all(
    claimed.map(async (delivery) => {
      const error = await post(delivery, options.timeoutMs);
      if (error === null) {
        await db.execute(sql`update alert_deliveries set delivered_at = now(), last_error = null where id = ${delivery.id}`);
      } else if (delivery.attempts >= options.maxAttempts) {
        await db.execute(sql`update alert_deliveries set failed_at = now(), last_error = ${error} where id = ${delivery.id}`);
      } else {
        const delayMs = Math.min(options.backoff.maxMs, options.backoff.baseMs * 2 ** (delivery.attempts - 1));
        await db.execute(sql`
          update alert_deliveries set last_error = ${error}, next_attempt_at = now() + ${delayMs} * interval '1 millisecond' where id = ${delivery.id}`);
      }
    }),
  );
  return claimed.length;
}

async function post(delivery: { id: number; url: string; payload: Record<string, unknown>; attempts: number }, timeoutMs: number): Promise<string | null> {
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `alert-delivery-${delivery.id}`, 'x-conveyor-attempt': String(delivery.attempts) },
      body: JSON.stringify(delivery.payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.ok ? null : `HTTP ${response.status}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
