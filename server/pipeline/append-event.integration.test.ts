import { count, inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { outbox } from '@/db/schema';
import { createTestDatabase } from '@/test/database';
import { appendEvent, appendEvents } from './append-event';

const { db } = await createTestDatabase();

describe('appendEvent', () => {
  it('a rolled-back transaction leaves no event', async () => {
    await expect(
      db.transaction(async (tx) => {
        await appendEvent(tx, { topic: 'orders', key: 'rolled-back', type: 'OrderCreated', payload: {} });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const [row] = await db.select({ n: count() }).from(outbox);
    expect(row!.n).toBe(0);
  });

  it('a committed transaction appends its events with ids in insert order', async () => {
    const ids = await db.transaction((tx) =>
      appendEvents(tx, [
        { topic: 'orders', key: 'k1', type: 'A', payload: { n: 1 } },
        { topic: 'orders', key: 'k1', type: 'B', payload: { n: 2 }, deliverAt: new Date(Date.now() + 60_000) },
      ]),
    );
    expect(Number(ids[1]!.id)).toBeGreaterThan(Number(ids[0]!.id));
    const rows = await db.select().from(outbox).orderBy(outbox.id);
    expect(rows.map((row) => row.type)).toEqual(['A', 'B']);
    expect(rows[1]!.deliverAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('returns each input its own id when the ids gain a digit', async () => {
    await db.execute(sql`select setval(pg_get_serial_sequence('outbox', 'id'), 8)`);
    const types = ['Ninth', 'Tenth', 'Eleventh'];
    const ids = await db.transaction((tx) => appendEvents(tx, types.map((type) => ({ topic: 'orders', key: 'k2', type, payload: {} }))));
    expect(ids.map((row) => row.id)).toEqual(['9', '10', '11']);
    const rows = await db.select({ id: outbox.id, type: outbox.type }).from(outbox).where(inArray(outbox.id, [9, 10, 11]));
    expect(Object.fromEntries(rows.map((row) => [String(row.id), row.type]))).toEqual({ 9: 'Ninth', 10: 'Tenth', 11: 'Eleventh' });
  });
});
