import { and, eq, lt, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { receivedWebhooks } from '@/db/schema';

/**
 * How long a webhook's id is kept: past any sender's redelivery schedule (Stripe's is three
 * days), while a captured request can be replayed for five minutes only (its timestamp).
 */
export const RECEIVED_WEBHOOK_RETENTION_DAYS = 7;

export type WebhookSender = (typeof receivedWebhooks.$inferSelect)['sender'];

/**
 * Whether a webhook with this `webhook-id` from this sender was already acted on. Read it after
 * locking what the webhook acts on, so a concurrent copy that held the lock has committed.
 */
export async function wasWebhookReceived(db: Executor, sender: WebhookSender, webhookId: string): Promise<boolean> {
  const [found] = await db
    .select({ webhookId: receivedWebhooks.webhookId })
    .from(receivedWebhooks)
    .where(and(eq(receivedWebhooks.sender, sender), eq(receivedWebhooks.webhookId, webhookId)));
  return found !== undefined;
}

/**
 * Records that a webhook was acted on. False when it already was: inside a transaction, a
 * concurrent copy of the same id waits here for the first one's commit, then gets false.
 */
export async function recordWebhookReceived(db: Executor, sender: WebhookSender, webhookId: string): Promise<boolean> {
  const inserted = await db.insert(receivedWebhooks).values({ sender, webhookId }).onConflictDoNothing().returning({ webhookId: receivedWebhooks.webhookId });
  return inserted.length > 0;
}

/** Forgets ids received longer ago than the retention; returns how many. */
export async function pruneReceivedWebhooks(db: Executor, options: { olderThanDays?: number } = {}): Promise<number> {
  const days = options.olderThanDays ?? RECEIVED_WEBHOOK_RETENTION_DAYS;
  const pruned = await db.delete(receivedWebhooks).where(lt(receivedWebhooks.receivedAt, sql`now() - make_interval(days => ${days})`)).returning({ webhookId: receivedWebhooks.webhookId });
  return pruned.length;
}
