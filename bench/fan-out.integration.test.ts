import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { checkEffects, EFFECTS_TABLE, GROUPS, latencyFromEffects } from './fan-out';

const { db, url } = await createTestDatabase({ max: 2 });
await db.execute(sql.raw(EFFECTS_TABLE));

const EVENTS = 10;

/** What a system that did the work leaves: a row per group per event, latency = the event's number. */
async function everyDeliveryWritten() {
  await db.execute(sql`
    insert into bench_effects ("group", event, latency_ms)
    select g, e, e from unnest(${sql.param([...GROUPS])}::text[]) g, generate_series(0, ${EVENTS - 1}) e`);
}

beforeEach(async () => {
  await db.execute(sql`truncate bench_effects`);
});

describe('the benchmark run check', () => {
  it('accepts a run where every group handled every event once', async () => {
    await everyDeliveryWritten();
    await expect(checkEffects(url, EVENTS, 'a system')).resolves.toBeUndefined();
  });

  it('fails a run that lost one delivery, naming the group', async () => {
    await everyDeliveryWritten();
    await db.execute(sql`delete from bench_effects where "group" = 'coupons' and event = 3`);
    await expect(checkEffects(url, EVENTS, 'a peer')).rejects.toThrow(`a peer did not do the work it is measured on: coupons: 9 of 10 events handled`);
  });

  it('fails a run that lost the last event in every group, though each group has as many rows as events', async () => {
    await everyDeliveryWritten();
    await db.execute(sql`update bench_effects set event = 0 where event = ${EVENTS - 1}`);
    await expect(checkEffects(url, EVENTS, 'a peer')).rejects.toThrow(/points: 9 of 10 events handled; points: 1 events handled more than once/);
  });

  it('fails a run that handled an event twice', async () => {
    await everyDeliveryWritten();
    await db.execute(sql`insert into bench_effects ("group", event, latency_ms) values ('analytics', 7, 1)`);
    await expect(checkEffects(url, EVENTS, 'a peer')).rejects.toThrow('analytics: 1 events handled more than once');
  });

  it('fails a run in which a group handled nothing', async () => {
    await everyDeliveryWritten();
    await db.execute(sql`delete from bench_effects where "group" = 'notifications'`);
    await expect(checkEffects(url, EVENTS, 'a peer')).rejects.toThrow('notifications: no rows');
  });

  it('reads latency percentiles from the rows, leaving out the warm-up events', async () => {
    await everyDeliveryWritten();
    expect(await latencyFromEffects(url, 5)).toEqual({ p50: 7, p99: 9, max: 9, deliveries: 5 * GROUPS.length });
  });
});
