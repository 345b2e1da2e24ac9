import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { raiseAlert } from './raise-alert';

const { db } = await createTestDatabase();

const alert = { kind: 'pipeline.dead_letter', severity: 'warning' as const, dedupeKey: 'pipeline.dead_letter:points', title: 'Dead letters in points' };

describe('raiseAlert', () => {
  it('counts repeats on the open alert instead of adding rows, and opens a new one once resolved', async () => {
    const first = await raiseAlert(db, { ...alert, details: { eventId: '1' } });
    const second = await raiseAlert(db, { ...alert, details: { eventId: '2' } });
    expect(second).toEqual({ id: first.id, count: 2 });
    const [open] = await db.execute<{ details: { eventId: string } }>(sql`select details from alerts where id = ${first.id}`);
    expect(open!.details).toEqual({ eventId: '2' });

    await db.execute(sql`update alerts set status = 'resolved', resolved_at = now(), resolved_by = 'oncall' where id = ${first.id}`);
    const third = await raiseAlert(db, alert);
    expect(third.id).not.toBe(first.id);
    expect(third.count).toBe(1);
  });

  it('keeps deduplicating while an alert is acknowledged but not resolved', async () => {
    const { id } = await raiseAlert(db, { ...alert, dedupeKey: 'acknowledged-key' });
    await db.execute(sql`update alerts set status = 'acknowledged' where id = ${id}`);
    expect(await raiseAlert(db, { ...alert, dedupeKey: 'acknowledged-key' })).toEqual({ id, count: 2 });
  });
});
