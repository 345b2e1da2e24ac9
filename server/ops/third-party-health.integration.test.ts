import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFICATIONS_GROUP } from '@/server/consumers/groups';
import { serveHttp, type ServedHttp } from '@/server/http/serve-http';
import { updateSimulatorSettings } from '@/server/integrations/simulator-settings';
import { createSimulators } from '@/server/integrations/simulators';
import { createSmsClient } from '@/server/integrations/sms-client';
import { appendEvents, defineConsumer, replayDeadLetters, startPipeline, type PipelineHandle } from '@/server/pipeline';
import { createCaller } from '@/server/trpc/root';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { waitFor } from '@/test/wait-for';
import { startCallRecorder } from './third-party-calls';

const { db } = await createTestDatabase();
const viewer = createCaller({ db, actor: { id: 'viewer-1', email: 'viewer@third-parties.test', role: 'viewer' } });
const smsTile = async () => (await viewer.overview.get()).tiles.find((tile) => tile.key === 'third-party-sms')!;
const MESSAGES = 8;

let server: ServedHttp;
let pipeline: PipelineHandle;
let recorder: ReturnType<typeof startCallRecorder>;
beforeAll(async () => {
  const simulators = createSimulators({ db, hangMs: 500, settingsMaxAgeMs: 0, merchantOrigins: () => [] });
  server = await serveHttp({ routes: [], prefixes: { '/api/sim': simulators.handler } });
  const sms = createSmsClient({ name: 'sms', baseUrl: `${server.url}/api/sim/sms`, timeoutMs: 1_000 });
  recorder = startCallRecorder({ db, everyMs: 200 });
  pipeline = await startPipeline({
    db,
    ...fastPipelineOptions,
    consumers: [
      defineConsumer({
        group: NOTIFICATIONS_GROUP,
        types: ['OrderPaid'],
        topics: ['health-orders'],
        maxAttempts: 2,
        backoff: { baseMs: 50, maxMs: 100 },
        handler: async (event) => void (await sms.sendSms({ to: '+8613800000000', text: 'Your order is paid' }, event.id)),
      }),
    ],
  });
});
afterAll(async () => {
  await pipeline?.stop();
  await recorder?.stop();
  await server?.close();
});

describe("a third party's observed error rate", () => {
  it('is red while the SMS gateway fails, and green within a minute of its recovery once the replays succeed', async () => {
    await updateSimulatorSettings(db, { simulator: 'sms', failureRate: 1 });
    await db.transaction((tx) => appendEvents(tx, Array.from({ length: MESSAGES }, (_, n) => ({ topic: 'health-orders', key: `order-${n}`, type: 'OrderPaid', payload: {} }))));
    await waitFor(async () => {
      const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from dead_letters where "group" = ${NOTIFICATIONS_GROUP} and status = 'dead'`);
      return row!.n === MESSAGES;
    }, { what: 'every message to die after its two attempts', timeoutMs: 20_000 });
    const failing = await waitFor(async () => {
      const tile = await smsTile();
      return tile.status === 'bad' && tile.detail === `${MESSAGES * 2} failed of ${MESSAGES * 2}` ? tile : null;
    }, { what: 'the SMS tile to count every failed call', timeoutMs: 5_000 });
    expect(failing.value).toBe(1);

    await updateSimulatorSettings(db, { simulator: 'sms', failureRate: 0 });
    const recoveredAt = Date.now();
    const replay = await replayDeadLetters(db, { filter: { group: NOTIFICATIONS_GROUP }, actor: 'oncall@third-parties.test' });
    expect(replay).toMatchObject({ dryRun: false, replays: expect.arrayContaining([expect.anything()]) });
    // The replays' calls count as they succeed, not only first deliveries that moved an offset.
    await waitFor(async () => (await smsTile()).detail === `${MESSAGES * 2} failed of ${MESSAGES * 3}`, { what: 'the replayed sends counted as successes', timeoutMs: 10_000 });

    // Orders keep being paid meanwhile, a message a second; their sends succeed too.
    let paid = 0;
    const recovered = await waitFor(async () => {
      await db.transaction((tx) => appendEvents(tx, [{ topic: 'health-orders', key: `later-${paid++}`, type: 'OrderPaid', payload: {} }]));
      const tile = await smsTile();
      return tile.status === 'ok' ? tile : null;
    }, { what: 'the SMS tile to turn green', timeoutMs: 70_000, intervalMs: 1_000 });
    expect(Date.now() - recoveredAt).toBeLessThan(60_000 + 2_000);
    expect(recovered).toMatchObject({ value: 0, detail: expect.stringMatching(/^0 failed of \d+$/) });
  }, 100_000);

  it('counts every call once, with the latest error, in the rows every process adds to', async () => {
    // The gateway's own record: every message it accepted is a success we counted (the last sends may still be on their way).
    const counted = await waitFor(async () => {
      const [row] = await db.execute<{ failures: number; successes: number; lastError: string }>(
        sql`select sum(failures)::int as failures, sum(successes)::int as successes, max(last_error) as "lastError" from third_party_calls where integration = 'sms'`,
      );
      const [sent] = await db.execute<{ n: number }>(sql`select count(*)::int as n from sim_sms_messages`);
      return row!.successes === sent!.n ? row : null;
    }, { what: 'the counted successes to match the messages the gateway accepted' });
    expect(counted).toMatchObject({ failures: MESSAGES * 2, lastError: expect.stringMatching(/^sms send sms: HTTP 503/) });
  });
});
