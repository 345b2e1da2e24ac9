import { InMemorySpanExporter, ParentBasedSampler, SamplingDecision, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOrder } from '@/server/orders/create-order';
import { createSku, eventually, paymentNotification, postSignedJson } from '@/server/orders/test-fixtures';
import { traceKey } from '@/server/pipeline';
import { startOrderSystem, type OrderSystem } from '@/server/runtime/order-system';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { startTracing, type Tracing } from './start-tracing';

/**
 * A sampler that leaves order API requests out and keeps every other trace that starts: were
 * a sampled-out payment's context not carried with its events, each delivery would start a
 * trace of its own and be kept.
 */
const requestsLeftOut = new ParentBasedSampler({
  root: {
    shouldSample: (_context, _traceId, name) => ({ decision: /^(GET|POST)\b/.test(name) ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED }),
    toString: () => 'order API requests left out',
  },
});

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
const { db, url } = await createTestDatabase({ max: 20 });
let system: OrderSystem;

beforeAll(async () => {
  tracing = startTracing('conveyor-order-api', { spanProcessor: new SimpleSpanProcessor(exporter), sampler: requestsLeftOut })!;
  system = await startOrderSystem({ db, url, simulators: { settingsMaxAgeMs: 0, wmsDispatchDelayMs: 60_000 }, pipeline: fastPipelineOptions });
});
afterAll(async () => {
  await system.stop();
  await tracing.shutdown();
});

it('leaves a payment the sampler left out out whole: no relay or delivery span, and no trace id on the order page', async () => {
  const sku = await createSku(db, { priceCents: 1_200 });
  const order = await createOrder(db, { userId: `user-${crypto.randomUUID()}`, items: [{ sku, quantity: 1 }] });
  expect((await postSignedJson(system.notifyUrl, paymentNotification(order.orderId, order.totalCents))).status).toBe(200);
  const paid = await eventually('OrderPaid handled by every subscribed group', async () => {
    const event = (await traceKey(db, { key: order.orderId })).find((candidate) => candidate.type === 'OrderPaid');
    const subscribed = event?.groups.filter((group) => group.delivery.state !== 'not subscribed') ?? [];
    return event && subscribed.length > 0 && subscribed.every((group) => group.delivery.state === 'processed') ? event : undefined;
  });

  expect(paid.traceId).toBeNull();
  expect(exporter.getFinishedSpans().filter((span) => span.attributes['messaging.message.id'] === paid.id)).toEqual([]);
  expect(exporter.getFinishedSpans().filter((span) => span.attributes['conveyor.integration.name'] === 'sms')).toEqual([]);
});
