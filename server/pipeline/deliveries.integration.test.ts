import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { createTestDatabase } from '@/test/database';
import { waitFor } from '@/test/wait-for';
import { appendEvent } from './append-event';
import { keyHasFailingDelivery, keysWithFailingDeliveries, listDeliveries, type Delivery } from './deliveries';
import { discardDeadLetters } from './discard-dead-letters';
import { startPipeline } from './start-pipeline';

const { db } = await createTestDatabase();

// `fine` handles everything, `flaky` fails once and waits a minute before its next attempt,
// `doomed` dead-letters on the first failure, `elsewhere` subscribes to another topic.
const pipeline = await startPipeline({
  db,
  ...fastPipelineOptions,
  consumers: [
    { group: 'fine', types: '*', topics: ['things'], handler: async () => {} },
    {
      group: 'flaky',
      types: ['ThingMade'],
      topics: ['things'],
      maxAttempts: 3,
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      handler: async () => {
        throw new Error('warehouse unavailable');
      },
    },
    {
      group: 'doomed',
      types: ['ThingMade'],
      topics: ['things'],
      maxAttempts: 1,
      handler: async (event) => {
        if (event.key !== 'thing-ok') throw new TypeError('bad thing');
      },
    },
    { group: 'elsewhere', types: '*', topics: ['other'], handler: async () => {} },
  ],
});
afterAll(() => pipeline.stop());

const stateOf = (deliveries: Delivery[]) =>
  Object.fromEntries(deliveries.map((delivery) => [`${delivery.type}/${delivery.group}`, delivery.state]));

const made = await appendEvent(db, { topic: 'things', key: 'thing-1', type: 'ThingMade', payload: {} });
await appendEvent(db, { topic: 'things', key: 'thing-1', type: 'ThingShipped', payload: {}, deliverAt: new Date(Date.now() + 3_600_000) });
await appendEvent(db, { topic: 'things', key: 'thing-ok', type: 'ThingMade', payload: {} });
await waitFor(
  async () => {
    // Three groups subscribe to ThingMade on `things`: one delivery each per key, none left pending.
    const deliveries = await listDeliveries(db, { keys: ['thing-1', 'thing-ok'], type: 'ThingMade' });
    return deliveries.length === 6 && deliveries.every((delivery) => delivery.state !== 'pending');
  },
  { what: 'every ThingMade delivery handled, retrying or dead' },
);

describe('delivery state', () => {
  it('tells for a key where each subscribed group is with each of its events', async () => {
    const deliveries = await listDeliveries(db, { keys: ['thing-1'] });
    expect(stateOf(deliveries)).toEqual({
      'ThingMade/fine': 'processed',
      'ThingMade/flaky': 'retrying',
      'ThingMade/doomed': 'dead',
      // Delayed: still in the outbox, and only `fine` subscribes to its type.
      'ThingShipped/fine': 'pending',
    });
    const retrying = deliveries.find((delivery) => delivery.group === 'flaky');
    expect(retrying).toMatchObject({ state: 'retrying', eventId: made.id, key: 'thing-1', attempt: 1, lastError: 'warehouse unavailable' });
    expect(deliveries.find((delivery) => delivery.type === 'ThingShipped')).toMatchObject({ state: 'pending', inLog: false });
    const dead = deliveries.find((delivery) => delivery.group === 'doomed');
    expect(dead).toMatchObject({ state: 'dead', attempts: 1, lastError: 'bad thing' });
    expect(dead?.state === 'dead' && dead.deadAt).toBeInstanceOf(Date);
  });

  it('narrows by type, group and state', async () => {
    const deliveries = await listDeliveries(db, { keys: ['thing-1', 'thing-ok'], type: 'ThingMade', group: 'doomed' });
    expect(deliveries.map((delivery) => [delivery.key, delivery.state])).toEqual([
      ['thing-ok', 'processed'],
      ['thing-1', 'dead'],
    ]);
    const failing = await listDeliveries(db, { keys: ['thing-1', 'thing-ok'], states: ['retrying', 'dead'] });
    expect(failing.map((delivery) => `${delivery.key}/${delivery.group}/${delivery.state}`).sort()).toEqual([
      'thing-1/doomed/dead',
      'thing-1/flaky/retrying',
      'thing-ok/flaky/retrying',
    ]);
  });

  it('lists failing deliveries without a key, by group or type', async () => {
    expect((await listDeliveries(db, { group: 'doomed' })).map((delivery) => [delivery.key, delivery.state])).toEqual([['thing-1', 'dead']]);
    expect((await listDeliveries(db, { type: 'ThingMade', states: ['retrying'] })).map((delivery) => delivery.key)).toEqual(['thing-ok', 'thing-1']);
    await expect(listDeliveries(db, { group: 'fine', states: ['pending'] })).rejects.toThrow(/per key/);
  });

  it('gives the caller SQL for keys with a failing delivery', async () => {
    const keys = await db.execute<{ key: string }>(sql`${keysWithFailingDeliveries({ topic: 'things' })} order by key`);
    expect(keys.map((row) => row.key)).toEqual(['thing-1', 'thing-ok']);
    expect(await db.execute<{ key: string }>(keysWithFailingDeliveries({ topic: 'other' }))).toHaveLength(0);
    const [row] = await db.execute<{ failing: boolean; quiet: boolean }>(
      sql`select ${keyHasFailingDelivery(sql`${'thing-1'}::text`)} as failing, ${keyHasFailingDelivery(sql`${'thing-none'}::text`)} as quiet`,
    );
    expect(row).toEqual({ failing: true, quiet: false });
  });

  it('shows a discarded dead letter as discarded, not dead', async () => {
    await discardDeadLetters(db, { filter: { group: 'doomed', key: 'thing-1' }, actor: 'oncall@example.com', reason: 'test' });
    const [delivery] = await listDeliveries(db, { keys: ['thing-1'], group: 'doomed' });
    expect(delivery).toMatchObject({ state: 'discarded', key: 'thing-1' });
    expect(await listDeliveries(db, { group: 'doomed' })).toEqual([]);
  });
});
