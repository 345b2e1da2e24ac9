import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { appendEvent } from './append-event';
import { startPipeline } from './start-pipeline';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';

const { db } = await createTestDatabase();
const pipeline = await startPipeline({ db, consumers: [], ...fastPipelineOptions });
afterAll(() => pipeline.stop());

async function logged(id: string): Promise<boolean> {
  const rows = await db.execute(sql`select 1 from events where id = ${id}::int8`);
  return rows.length > 0;
}

describe('relay', () => {
  it('relays a row that commits after a later-numbered row, in a later batch, never skipping it', async () => {
    let commitEarly!: () => void;
    const gate = new Promise<void>((resolve) => (commitEarly = resolve));
    let earlyId = '';
    const early = db.transaction(async (tx) => {
      earlyId = (await appendEvent(tx, { topic: 'late', key: 'a', type: 'Early', payload: {} })).id;
      await gate;
    });
    await waitFor(async () => earlyId !== '', { what: 'the early append' });
    const { id: laterId } = await db.transaction((tx) => appendEvent(tx, { topic: 'late', key: 'b', type: 'Later', payload: {} }));
    expect(Number(laterId)).toBeGreaterThan(Number(earlyId));

    await waitFor(() => logged(laterId), { what: 'the later row in the log' });
    expect(await logged(earlyId)).toBe(false);
    commitEarly();
    await early;
    await waitFor(() => logged(earlyId), { what: 'the late-committing row in the log' });
  });

  it('gives each partition gap-free offsets in append order per key', async () => {
    for (let n = 0; n < 30; n++) {
      await db.transaction((tx) => appendEvent(tx, { topic: 'offsets', key: `k${n % 3}`, type: 'Step', payload: { n } }));
    }
    await waitFor(async () => {
      const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from events where topic = 'offsets'`);
      return row!.n === 30;
    });
    const partitions = await db.execute<{ partition: number; offsets: number[]; ends: number }>(sql`
      select e.partition, array_agg(e."offset"::int order by e."offset") as offsets, max(p.next_offset)::int as ends
      from events e join log_partitions p using (partition) group by e.partition`);
    for (const partition of partitions) {
      expect(partition.offsets).toEqual(Array.from({ length: partition.ends }, (_, i) => i));
    }
    const perKey = await db.execute<{ key: string; ns: number[] }>(sql`
      select key, array_agg((payload ->> 'n')::int order by "offset") as ns from events where topic = 'offsets' group by key`);
    for (const { ns } of perKey) expect(ns).toEqual([...ns].sort((a, b) => a - b));
  });
});
