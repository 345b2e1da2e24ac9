import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { receivedWebhooks } from '@/db/schema';
import { createTestDatabase } from '@/test/database';
import { pruneReceivedWebhooks, recordWebhookReceived, wasWebhookReceived } from './received-webhooks';

const { db } = await createTestDatabase();

describe('received webhooks', () => {
  it('records an id once per sender, and knows it afterwards', async () => {
    expect(await wasWebhookReceived(db, 'payment', 'msg_once')).toBe(false);
    expect(await recordWebhookReceived(db, 'payment', 'msg_once')).toBe(true);
    expect(await recordWebhookReceived(db, 'payment', 'msg_once')).toBe(false);
    expect(await wasWebhookReceived(db, 'payment', 'msg_once')).toBe(true);
    // Ids are the sender's own: the warehouse may use one the provider used.
    expect(await wasWebhookReceived(db, 'wms', 'msg_once')).toBe(false);
    expect(await recordWebhookReceived(db, 'wms', 'msg_once')).toBe(true);
  });

  it('lets exactly one of two transactions recording the same id at once go ahead', async () => {
    const outcomes = await Promise.all([1, 2].map(() => db.transaction((tx) => recordWebhookReceived(tx, 'wms', 'msg_race'))));
    expect(outcomes.sort()).toEqual([false, true]);
  });

  it('forgets ids past the retention and keeps the recent ones', async () => {
    await recordWebhookReceived(db, 'payment', 'msg_old');
    await recordWebhookReceived(db, 'payment', 'msg_recent');
    await db.update(receivedWebhooks).set({ receivedAt: sql`now() - interval '8 days'` }).where(eq(receivedWebhooks.webhookId, 'msg_old'));

    expect(await pruneReceivedWebhooks(db)).toBe(1);
    expect(await wasWebhookReceived(db, 'payment', 'msg_old')).toBe(false);
    expect(await wasWebhookReceived(db, 'payment', 'msg_recent')).toBe(true);
  });
});
