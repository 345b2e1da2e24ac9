import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { traceKey } from './key-trace';
import { getLagHistory } from './lag-history';
import { recordLagSamples } from './sample-lag';

const { db } = await createTestDatabase();

afterAll(async () => {
  await db.$client.end();
});

describe('read-side queries over long histories', () => {
  it("summarises a day's lag samples into a few hundred points per group that keep the peak", async () => {
    await recordLagSamples(
      db,
      sql`select now() - s * interval '5 seconds', g, case when s = 9000 then 99999 else 10 end, 1000 + s % 7, 0
          from generate_series(0, 17279) s, unnest(array['points', 'sms']) g`,
    );
    const day = await getLagHistory(db, { since: new Date(Date.now() - 24 * 3600_000) });
    const points = day.filter((point) => point.group === 'points');
    expect(points.length).toBeGreaterThan(300);
    expect(points.length).toBeLessThanOrEqual(361);
    expect(Math.max(...points.map((point) => point.lag))).toBe(99999);
    expect(points.map((point) => point.sampledAt.getTime())).toEqual([...points.map((point) => point.sampledAt.getTime())].sort((a, b) => a - b));

    const recent = await getLagHistory(db, { group: 'sms', since: new Date(Date.now() - 10 * 60_000) });
    expect(recent.length).toBeGreaterThanOrEqual(119);
    expect(recent.every((point) => point.group === 'sms')).toBe(true);
  });

  it('summarises six hours or more in whole minutes: each point is the highest lag and oldest age of the samples in its minutes', async () => {
    const since = new Date(Date.now() - 24 * 3600_000);
    const day = await getLagHistory(db, { group: 'sms', since });
    const fromSamples = await db.execute<{ sampledAt: string; lag: number; oldestUnconsumedAgeMs: number }>(sql`
      select date_bin(interval '4 minutes', sampled_at, date_trunc('minute', ${since.toISOString()}::timestamptz)) as "sampledAt",
             max(lag)::float8 as lag, max(oldest_unconsumed_age_ms)::float8 as "oldestUnconsumedAgeMs"
      from lag_samples where "group" = 'sms' and sampled_at >= date_trunc('minute', ${since.toISOString()}::timestamptz)
      group by 1 order by 1`);
    expect(day.map(({ sampledAt, lag, oldestUnconsumedAgeMs }) => ({ at: sampledAt.getTime(), lag, oldestUnconsumedAgeMs }))).toEqual(
      fromSamples.map((row) => ({ at: new Date(row.sampledAt).getTime(), lag: row.lag, oldestUnconsumedAgeMs: row.oldestUnconsumedAgeMs })),
    );
  });

  it("traces a key's newest events, oldest of them first", async () => {
    await db.$client`
      insert into events (id, topic, key, type, payload, headers, created_at, deliver_at, partition, "offset")
      select n, 'orders', 'ord_busy', 'Tick', jsonb_build_object('n', n), '{}'::jsonb, now() - (300 - n) * interval '1 minute', now(), 0, n
      from generate_series(1, 300) n`;
    const trace = await traceKey(db, { key: 'ord_busy', limit: 200 });
    expect(trace).toHaveLength(200);
    expect(trace[0]!.id).toBe('101');
    expect(trace[199]!.id).toBe('300');
  });
});
