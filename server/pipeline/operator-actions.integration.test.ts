import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { appendEvent, appendEvents } from './append-event';
import { defineConsumer } from './define-consumer';
import { deleteConsumedEvents } from './delete-consumed-events';
import { discardDeadLetters } from './discard-dead-letters';
import { giveUpRetries } from './give-up-retries';
import { getLag } from './lag';
import { pauseGroup } from './pause-group';
import { registerConsumerGroup } from './register-consumer-group';
import { replayDeadLetters } from './replay-dead-letters';
import { replayProgress } from './replay-progress';
import { resetGroupOffsets } from './reset-group-offsets';
import { resumeGroup } from './resume-group';
import { retryNow } from './retry-now';
import { startPipeline, type PipelineHandle } from './start-pipeline';
import { createEffectsTable, effectCounts, flakyConsumer } from './test-support/effects';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import type { ConsumerDefinition } from './types';

const { db } = await createTestDatabase();
await createEffectsTable(db);
/** For retention, which deletes only what every group of a database has consumed. */
const { db: retentionDb } = await createTestDatabase();

let pipeline: PipelineHandle | null = null;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = null;
});

async function run(consumers: ConsumerDefinition[]) {
  pipeline = await startPipeline({ db, consumers, ...fastPipelineOptions });
}

async function rowsOf<T extends Record<string, unknown>>(query: ReturnType<typeof sql>) {
  return [...(await db.execute<T>(query))];
}


describe('operator actions', () => {
  it('replaying an event that died twice (again after an offset reset) delivers it once', async () => {
    const state = { failing: true };
    await run([flakyConsumer('died-twice', state)]);
    await db.transaction((tx) => appendEvent(tx, { topic: 'died-twice', key: 'k', type: 'Pushed', payload: {} }));
    const deadLetterIds = () => rowsOf<{ id: number }>(sql`select id::int as id from dead_letters where "group" = 'died-twice' order by id`);
    await waitFor(async () => (await deadLetterIds()).length === 1, { what: 'the first dead letter' });
    await resetGroupOffsets(db, { group: 'died-twice', to: { offset: 0 }, actor: 'oncall@example.com' });
    const [first, second] = await waitFor(async () => ((await deadLetterIds()).length === 2 ? deadLetterIds() : null), { what: 'the second' });

    state.failing = false;
    const result = await replayDeadLetters(db, { filter: { group: 'died-twice' }, actor: 'oncall@example.com' });
    if (result.dryRun) throw new Error('not a dry run');
    expect(result.replays.map((replay) => replay.deadLetterId)).toEqual([first!.id, second!.id]);
    expect(new Set(result.replays.map((replay) => replay.retryId)).size).toBe(1);
    await waitFor(async () => (await effectCounts(db, 'died-twice')).effects === 1, { what: 'the replay to be processed' });
    await waitFor(async () => (await rowsOf(sql`select 1 from retries where "group" = 'died-twice'`)).length === 0);
    expect(await effectCounts(db, 'died-twice')).toEqual({ events: 1, effects: 1 });
    // Both dead letters' replay ended well: the earlier one did not die again after it.
    expect(await replayProgress(db, [first!.id, second!.id])).toEqual({ total: 2, done: 2, failures: 0 });
  });

  it('retry now runs a waiting retry at once and give up makes it a dead letter with who and why', async () => {
    const state = { failing: true };
    await run([flakyConsumer('push', state, { maxAttempts: 5, backoff: { baseMs: 60_000, maxMs: 60_000 } })]);
    await db.transaction((tx) =>
      appendEvents(tx, [
        { topic: 'push', key: 'a', type: 'Push', payload: {} },
        { topic: 'push', key: 'b', type: 'Push', payload: {} },
      ]),
    );
    const retries = await waitFor(() =>
      rowsOf<{ id: number; key: string }>(sql`
        select r.id::int as id, e.key from retries r join events e on e.id = r.event_id where r."group" = 'push' order by e.key`).then(
        (rows) => (rows.length === 2 ? rows : null),
      ),
    );

    state.failing = false;
    expect(await retryNow(db, { filter: { ids: [retries[0]!.id] } })).toEqual({ retryIds: [retries[0]!.id] });
    await waitFor(async () => (await effectCounts(db, 'push')).effects === 1, { what: 'the retry to run', timeoutMs: 3_000 });

    const preview = await giveUpRetries(db, { filter: { group: 'push' }, actor: 'oncall@example.com', reason: 'customer cancelled', dryRun: true });
    expect(preview).toMatchObject({ dryRun: true, count: 1, sample: [{ id: retries[1]!.id, key: 'b' }] });
    const gaveUp = await giveUpRetries(db, { filter: { group: 'push' }, actor: 'oncall@example.com', reason: 'customer cancelled' });
    expect(gaveUp).toMatchObject({ dryRun: false, deadLetterIds: [expect.any(Number)] });
    const letters = await rowsOf(sql`
      select status, attempts, given_up_by as "givenUpBy", give_up_reason as "reason" from dead_letters where "group" = 'push'`);
    expect(letters).toEqual([{ status: 'dead', attempts: 1, givenUpBy: 'oncall@example.com', reason: 'customer cancelled' }]);
  });

  it('a discarded dead letter is kept as discarded with who and why and cannot be replayed', async () => {
    await run([flakyConsumer('discard', { failing: true })]);
    await db.transaction((tx) => appendEvent(tx, { topic: 'discard', key: 'k', type: 'Pushed', payload: {} }));
    await waitFor(async () => (await rowsOf(sql`select 1 from dead_letters where "group" = 'discard'`)).length === 1);

    const result = await discardDeadLetters(db, { filter: { group: 'discard' }, actor: 'oncall@example.com', reason: 'test order' });
    expect(result).toMatchObject({ dryRun: false, deadLetterIds: [expect.any(Number)] });
    const letters = await rowsOf(sql`
      select status, discarded_by as "by", discard_reason as reason from dead_letters where "group" = 'discard'`);
    expect(letters).toEqual([{ status: 'discarded', by: 'oncall@example.com', reason: 'test order' }]);
    expect(await replayDeadLetters(db, { filter: { group: 'discard' }, actor: 'oncall@example.com' })).toEqual({ dryRun: false, replays: [] });
  });

  it('a paused group receives nothing until resumed, then catches up', async () => {
    // A second group reads the same topic in the same process: its runners are woken by the same
    // notifications of new log rows, and poll as often, as the paused group's.
    await run([flakyConsumer('paused', { failing: false }), flakyConsumer('paused-witness', { failing: false }, { topics: ['paused'] })]);
    expect(await pauseGroup(db, { group: 'paused', actor: 'oncall@example.com' })).toEqual({ group: 'paused', changed: true });
    await db.transaction((tx) => appendEvent(tx, { topic: 'paused', key: 'k', type: 'Pushed', payload: {} }));
    await waitFor(async () => (await rowsOf(sql`select 1 from events where topic = 'paused'`)).length === 1, { what: 'the relay' });
    // Same key, so the same partition, logged after the event: once the witness has handled it, the workers are past the event.
    await db.transaction((tx) => appendEvent(tx, { topic: 'paused', key: 'k', type: 'Marker', payload: {} }));
    await waitFor(async () => (await effectCounts(db, 'paused-witness')).events === 2, { what: 'the witness group to handle the event and the marker after it' });
    expect((await effectCounts(db, 'paused')).effects).toBe(0);
    const [held] = await rowsOf<{ behind: boolean }>(sql`
      select o.committed_offset <= e."offset" as behind from events e join consumer_offsets o on o."group" = 'paused' and o.partition = e.partition
      where e.topic = 'paused' and e.type = 'Pushed'`);
    expect(held).toEqual({ behind: true });

    expect(await resumeGroup(db, { group: 'paused', actor: 'oncall@example.com' })).toEqual({ group: 'paused', changed: true });
    await waitFor(async () => (await effectCounts(db, 'paused')).effects === 2, { what: 'delivery after resume' });
  });

  it('after retention, an offset reset and a new group start at the first event kept, and read to the end of the log', async () => {
    const quiet = (group: string) => defineConsumer({ group, types: '*', topics: ['kept'], maxAttempts: 1, handler: async () => {} });
    pipeline = await startPipeline({ db: retentionDb, consumers: [quiet('kept')], ...fastPipelineOptions, partitions: 1 });
    await retentionDb.transaction((tx) =>
      appendEvents(tx, [1, 2, 3].map((n) => ({ topic: 'kept', key: `k${n}`, type: 'Pushed', payload: {} }))),
    );
    const lagOf = async (group: string) => (await getLag(retentionDb, { group }))[0]!.lag;
    const logged = async () => (await retentionDb.execute(sql`select 1 from events`)).length;
    await waitFor(async () => (await logged()) === 3 && (await lagOf('kept')) === 0, { what: 'the three events consumed' });
    await pipeline.stop();
    pipeline = null;
    await retentionDb.execute(sql`update events set logged_at = now() - interval '30 days'`);
    // The partition's last event stays: reading it is how a group moved back reaches the end.
    expect(await deleteConsumedEvents(retentionDb, { olderThanDays: 7 })).toBe(2);

    // Offsets 0 and 1 are gone: rewinding to 0 lands on 2, the first event kept.
    const rewind = await resetGroupOffsets(retentionDb, { group: 'kept', to: { offset: 0 }, actor: 'oncall@example.com' });
    expect(rewind.partitions).toEqual([{ partition: 0, from: 3, to: 2, redelivered: 1, skipped: 0 }]);
    await registerConsumerGroup(retentionDb, { ...quiet('late'), maxAttempts: 1 }, 1);
    expect([await lagOf('kept'), await lagOf('late')]).toEqual([1, 1]);

    pipeline = await startPipeline({ db: retentionDb, consumers: [quiet('kept'), quiet('late')], ...fastPipelineOptions, partitions: 1 });
    await waitFor(async () => (await lagOf('kept')) === 0 && (await lagOf('late')) === 0, { what: 'both groups to read to the end of the log' });
  });
});
