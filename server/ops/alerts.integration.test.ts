import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertDeliveries, alerts } from '@/db/schema';
import { eventually } from '@/server/orders/test-fixtures';
import { createTestDatabase } from '@/test/database';
import { evaluateAlertRules, updateAlertRule } from './alert-rules';
import { deliverDueAlertWebhooks } from './alert-webhook';
import { acknowledgeAlert, activeAlertCounts, resolveAlert } from './alerts';
import { raiseAlert } from './raise-alert';

const { db } = await createTestDatabase();

/** A webhook receiver that fails the first `failFirst` requests of each delivery, then answers 200. */
const received: { body: Record<string, unknown>; key: string; attempt: string }[] = [];
let failFirst = 0;
const attemptsByKey = new Map<string, number>();
const receiver = createServer((request: IncomingMessage, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    const key = String(request.headers['idempotency-key']);
    const seen = (attemptsByKey.get(key) ?? 0) + 1;
    attemptsByKey.set(key, seen);
    if (seen <= failFirst) {
      response.writeHead(503).end('busy');
      return;
    }
    received.push({ body: JSON.parse(body), key, attempt: String(request.headers['x-conveyor-attempt']) });
    response.writeHead(200).end('ok');
  });
});
const fast = { maxAttempts: 5, backoff: { baseMs: 20, maxMs: 50 }, timeoutMs: 1_000 };

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  process.env.ALERT_WEBHOOK_URL = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/conveyor`;
});
afterAll(async () => {
  delete process.env.ALERT_WEBHOOK_URL;
  await new Promise((resolve) => receiver.close(resolve));
});

async function insertRetry(group: string, attempt: number) {
  await db.execute(sql`
    insert into retries ("group", event_id, attempt, next_attempt_at, last_error)
    values (${group}, ${Math.floor(Math.random() * 1e9)}, ${attempt}, now() + interval '1 hour', 'HTTP 503: wms down')`);
}

describe('alerts', () => {
  it('a rule firing on every evaluation keeps one open alert, counting repeats, and resolves it once the condition clears', async () => {
    await insertRetry('fulfilment', 6);
    await insertRetry('fulfilment', 7);
    await insertRetry('notifications', 2);
    for (let evaluation = 0; evaluation < 3; evaluation++) await evaluateAlertRules(db);

    const open = await db.select().from(alerts).where(eq(alerts.kind, 'pipeline.retry_attempts'));
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ dedupeKey: 'pipeline.retry_attempts:fulfilment', status: 'open', count: 3 });
    expect(open[0]!.details).toMatchObject({ retrying: 2, maxAttempt: 7, threshold: 5 });
    expect(await activeAlertCounts(db)).toMatchObject({ open: 1 });

    // A higher threshold: the condition clears and the alert resolves itself.
    await updateAlertRule(db, { rule: 'pipeline.retry_attempts', threshold: 10, actor: 'admin@conveyor.demo' });
    await evaluateAlertRules(db);
    const [resolved] = await db.select().from(alerts).where(eq(alerts.id, open[0]!.id));
    expect(resolved).toMatchObject({ status: 'resolved', resolvedBy: 'alert rules' });
  });

  it('a switched-off rule raises nothing; acknowledging keeps deduplicating, resolving lets the next one open', async () => {
    await updateAlertRule(db, { rule: 'refund_failed', enabled: false, actor: 'admin@conveyor.demo' });
    expect(await raiseAlert(db, { kind: 'refund_failed', severity: 'critical', dedupeKey: 'refund_failed:x', title: 'x' })).toEqual({ id: 0, count: 0 });
    await updateAlertRule(db, { rule: 'refund_failed', enabled: true, actor: 'admin@conveyor.demo' });

    const first = await raiseAlert(db, { kind: 'pipeline.dead_letter', severity: 'warning', dedupeKey: 'dl:points', title: 'Dead letters in points' });
    await acknowledgeAlert(db, { alertId: first.id, actor: 'oncall@conveyor.demo' });
    expect(await raiseAlert(db, { kind: 'pipeline.dead_letter', severity: 'warning', dedupeKey: 'dl:points', title: 'Dead letters in points' })).toEqual({ id: first.id, count: 2 });
    await expect(acknowledgeAlert(db, { alertId: first.id, actor: 'oncall@conveyor.demo' })).rejects.toThrow(/already acknowledged/);
    await resolveAlert(db, { alertId: first.id, actor: 'oncall@conveyor.demo', resolution: 'replayed' });
    const next = await raiseAlert(db, { kind: 'pipeline.dead_letter', severity: 'warning', dedupeKey: 'dl:points', title: 'Dead letters in points' });
    expect(next.id).not.toBe(first.id);
  });

  it('posts each newly opened alert once to ALERT_WEBHOOK_URL, retrying while the receiver fails', async () => {
    await db.execute(sql`delete from alert_deliveries`);
    received.length = 0;
    failFirst = 2;
    const { id } = await raiseAlert(db, { kind: 'refund_failed', severity: 'critical', dedupeKey: 'refund_failed:rfd_1', title: 'Refund rfd_1 failed', details: { orderId: 'ord_1' } });
    // Repeats of an open alert are counted, not posted again.
    await raiseAlert(db, { kind: 'refund_failed', severity: 'critical', dedupeKey: 'refund_failed:rfd_1', title: 'Refund rfd_1 failed' });
    expect(await db.select().from(alertDeliveries)).toHaveLength(1);

    await eventually('the webhook to be delivered', async () => {
      await deliverDueAlertWebhooks(db, fast);
      return received.length > 0 ? true : undefined;
    });
    expect(received).toHaveLength(1);
    expect(received[0]!.attempt).toBe('3');
    expect(received[0]!.body).toMatchObject({ event: 'alert.opened', alert: { id, kind: 'refund_failed', severity: 'critical', title: 'Refund rfd_1 failed', details: { orderId: 'ord_1' } } });
    const [delivery] = await db.select().from(alertDeliveries).where(eq(alertDeliveries.alertId, id));
    expect(delivery).toMatchObject({ attempts: 3, lastError: null });
    expect(delivery!.deliveredAt).toBeInstanceOf(Date);
    expect(await deliverDueAlertWebhooks(db, fast)).toBe(0);
  });

  it('gives a delivery up once its attempts run out', async () => {
    await db.execute(sql`delete from alert_deliveries`);
    failFirst = 1_000;
    const { id } = await raiseAlert(db, { kind: 'pipeline.lag', severity: 'critical', dedupeKey: 'lag:x', title: 'lag' });
    await eventually('the delivery to be given up', async () => {
      await deliverDueAlertWebhooks(db, fast);
      const [delivery] = await db.select().from(alertDeliveries).where(eq(alertDeliveries.alertId, id));
      return delivery?.failedAt ? delivery : undefined;
    }).then((delivery) => expect(delivery).toMatchObject({ attempts: 5, lastError: 'HTTP 503' }));
    failFirst = 0;
  });
});
