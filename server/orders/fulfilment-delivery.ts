import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { parseTimestamps } from '@/db/parse-timestamps';

export type FulfilmentDelivery =
  | { state: 'retrying'; retryId: number; attempt: number; nextAttemptAt: Date; lastError: string | null; running: boolean }
  | { state: 'dead'; deadLetterId: number; attempts: number; lastError: string | null }
  | { state: 'none' };

/** Where the fulfilment group is with the order's OrderPaid (the push to the warehouse): retrying, dead, or neither. */
export async function fulfilmentDelivery(db: Executor, orderId: string): Promise<FulfilmentDelivery> {
  const [retry] = await db.execute<{ retryId: number; attempt: number; nextAttemptAt: Date; lastError: string | null; running: boolean }>(sql`
    select r.id::int as "retryId", r.attempt, r.next_attempt_at as "nextAttemptAt", r.last_error as "lastError",
           coalesce(r.locked_until > now(), false) as running
    from events e join retries r on r.event_id = e.id and r."group" = 'fulfillment'
    where e.key = ${orderId} and e.type = 'OrderPaid'
    order by r.id desc limit 1`);
  if (retry) return { state: 'retrying', ...parseTimestamps([retry], ['nextAttemptAt'])[0]! };
  const [dead] = await db.execute<{ deadLetterId: number; attempts: number; lastError: string | null }>(sql`
    select d.id::int as "deadLetterId", d.attempts, d.last_error as "lastError"
    from events e join dead_letters d on d.event_id = e.id and d."group" = 'fulfillment'
    where e.key = ${orderId} and e.type = 'OrderPaid' and d.status = 'dead'
    order by d.id desc limit 1`);
  if (dead) return { state: 'dead', ...dead };
  return { state: 'none' };
}
