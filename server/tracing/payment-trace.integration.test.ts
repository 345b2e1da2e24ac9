import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetSimulatorSettings, updateSimulatorSettings } from '@/server/integrations/simulator-settings';
import { createOrder } from '@/server/orders/create-order';
import { createSku, eventually, paymentNotification, postSignedJson } from '@/server/orders/test-fixtures';
import { traceKey, type TracedEvent } from '@/server/pipeline';
import { startOrderSystem, type OrderSystem } from '@/server/runtime/order-system';
import { createTestDatabase } from '@/test/database';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { startTracing, type Tracing } from './start-tracing';

/**
 * One payment notification, followed through the order API, the outbox, the relay and every
 * consumer group as one OpenTelemetry trace, read from the SDK's in-memory exporter.
 */

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
const { db, url } = await createTestDatabase({ max: 20 });
let system: OrderSystem;

beforeAll(async () => {
  tracing = startTracing('conveyor-order-api', { spanProcessor: new SimpleSpanProcessor(exporter) })!;
  system = await startOrderSystem({
    db,
    url,
    simulators: { settingsMaxAgeMs: 0, wmsDispatchDelayMs: 60_000 },
    pipeline: fastPipelineOptions,
    consumers: { backoff: { baseMs: 100, maxMs: 400 } },
  });
});
afterEach(() => resetSimulatorSettings(db));
afterAll(async () => {
  await system.stop();
  await tracing.shutdown();
});

async function pendingOrder() {
  const sku = await createSku(db, { priceCents: 2_500 });
  return createOrder(db, { userId: `user-${crypto.randomUUID()}`, items: [{ sku, quantity: 1 }] });
}

/** The order's event of this type once every group that subscribes to it has handled it. */
function handledByEveryGroup(orderId: string, type: string): Promise<TracedEvent> {
  return eventually(`${type} of ${orderId} handled by every subscribed group`, async () => {
    const event = (await traceKey(db, { key: orderId })).find((candidate) => candidate.type === type);
    const subscribed = event?.groups.filter((group) => group.delivery.state !== 'not subscribed') ?? [];
    return event && subscribed.length > 0 && subscribed.every((group) => group.delivery.state === 'processed') ? event : undefined;
  });
}

const spans = () => exporter.getFinishedSpans();
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;
const subscribedGroups = (event: TracedEvent) => event.groups.filter((group) => group.delivery.state !== 'not subscribed').map((group) => group.group);
const deliveriesOf = (event: TracedEvent) => spans().filter((span) => span.kind === SpanKind.CONSUMER && span.attributes['messaging.message.id'] === event.id);

describe('one payment notification is one trace', () => {
  it('links the order API request, the append, the relay and each group delivery by trace id and parent', async () => {
    const order = await pendingOrder();
    const answer = await postSignedJson(system.notifyUrl, paymentNotification(order.orderId, order.totalCents));
    expect(answer.status).toBe(200);
    const paid = await handledByEveryGroup(order.orderId, 'OrderPaid');

    const request = spans().find((span) => span.kind === SpanKind.SERVER && span.name === 'POST /api/payments/notify');
    expect(request, 'the order API request span').toBeDefined();
    expect(request!.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/api/payments/notify', 'http.response.status_code': 200 });
    expect(request!.resource.attributes['service.name']).toBe('conveyor-order-api');
    const traceId = traceOf(request!);
    // The order page's trace id is the request's.
    expect(paid.traceId).toBe(traceId);

    const append = spans().find((span) => span.name === 'outbox append' && traceOf(span) === traceId);
    expect(append, 'the append span of OrderPaid').toBeDefined();
    expect(parentOf(append!)).toBe(idOf(request!));
    expect(append!.attributes).toMatchObject({ 'messaging.destination.name': 'orders', 'conveyor.event.types': ['OrderPaid'], 'messaging.batch.message_count': 1 });

    const relay = spans().find((span) => span.name === 'relay publish' && span.attributes['messaging.message.id'] === paid.id);
    expect(relay, 'the relay span').toBeDefined();
    expect(traceOf(relay!)).toBe(traceId);
    expect(parentOf(relay!)).toBe(idOf(append!));
    expect(relay!.attributes).toMatchObject({ 'messaging.destination.partition.id': String(paid.partition), 'conveyor.event.offset': paid.offset });

    const groups = subscribedGroups(paid);
    expect(groups).toEqual(expect.arrayContaining(['points', 'coupons', 'notifications', 'fulfilment', 'analytics']));
    const deliveries = deliveriesOf(paid);
    // A batch redone (its lease moved as the workers started) delivers again, in a span of its own: each group at least once.
    expect(new Set(deliveries.map((span) => span.attributes['messaging.consumer.group.name']))).toEqual(new Set(groups));
    for (const delivery of deliveries) {
      expect(traceOf(delivery)).toBe(traceId);
      expect(parentOf(delivery)).toBe(idOf(append!));
      expect(delivery.attributes).toMatchObject({
        'messaging.destination.partition.id': String(paid.partition),
        'conveyor.event.offset': paid.offset,
        'conveyor.event.type': 'OrderPaid',
        'conveyor.delivery.attempt': 1,
      });
    }
  });

  it('carries the trace through a consumer to its third-party calls and to the events it appends', async () => {
    const order = await pendingOrder();
    expect((await postSignedJson(system.notifyUrl, paymentNotification(order.orderId, order.totalCents))).status).toBe(200);
    const paid = await handledByEveryGroup(order.orderId, 'OrderPaid');
    const accepted = await eventually(`ShipmentAccepted of ${order.orderId} in the log`, async () =>
      (await traceKey(db, { key: order.orderId })).find((event) => event.type === 'ShipmentAccepted' && event.partition !== null),
    );

    const fulfilment = deliveriesOf(paid).find((span) => span.attributes['messaging.consumer.group.name'] === 'fulfilment')!;
    const notifications = deliveriesOf(paid).find((span) => span.attributes['messaging.consumer.group.name'] === 'notifications')!;
    const calls = spans().filter((span) => span.kind === SpanKind.CLIENT && traceOf(span) === paid.traceId);
    const wmsCall = calls.find((span) => span.attributes['conveyor.integration.name'] === 'wms' && parentOf(span) === idOf(fulfilment));
    expect(wmsCall?.attributes).toMatchObject({ 'http.response.status_code': expect.any(Number), 'conveyor.integration.outcome': 'ok' });
    const smsCall = calls.find((span) => span.attributes['conveyor.integration.name'] === 'sms' && parentOf(span) === idOf(notifications));
    expect(smsCall?.attributes).toMatchObject({ 'conveyor.integration.outcome': 'ok' });
    // The simulator answered the calls in spans of its own, in new traces: it is reached as the internet reaches us.
    const simulatorRequest = spans().find((span) => span.kind === SpanKind.SERVER && span.name === 'POST /api/sim/*' && span.startTime >= wmsCall!.startTime);
    expect(simulatorRequest, 'the simulator request span').toBeDefined();
    expect(traceOf(simulatorRequest!)).not.toBe(paid.traceId);

    // What fulfilment appended while handling OrderPaid continues its trace.
    expect(accepted.traceId).toBe(paid.traceId);
    const acceptedAppend = spans().find((span) => span.name === 'outbox append' && parentOf(span) === idOf(fulfilment));
    expect(acceptedAppend?.attributes['conveyor.event.types']).toEqual(['ShipmentAccepted']);
    const acceptedRelay = await eventually('the relay span of ShipmentAccepted', async () =>
      spans().find((span) => span.name === 'relay publish' && span.attributes['messaging.message.id'] === accepted.id),
    );
    expect(parentOf(acceptedRelay)).toBe(idOf(acceptedAppend!));
  });

  it('keeps a delivery retried after a third-party failure in the trace, with its attempt and the failed call', async () => {
    await updateSimulatorSettings(db, { simulator: 'sms', failureRate: 1 });
    const order = await pendingOrder();
    expect((await postSignedJson(system.notifyUrl, paymentNotification(order.orderId, order.totalCents))).status).toBe(200);
    const failedCall = await eventually('a failed SMS call', async () =>
      spans().find((span) => span.attributes['conveyor.integration.name'] === 'sms' && span.attributes['conveyor.integration.outcome'] === 'failed'),
    );
    expect(failedCall.attributes['http.response.status_code']).toBeGreaterThanOrEqual(500);
    await resetSimulatorSettings(db);
    const paid = await handledByEveryGroup(order.orderId, 'OrderPaid');
    expect(traceOf(failedCall)).toBe(paid.traceId);

    const notifications = deliveriesOf(paid).filter((span) => span.attributes['messaging.consumer.group.name'] === 'notifications');
    const failed = notifications.find((span) => idOf(span) === parentOf(failedCall));
    expect(failed?.status.code, 'the failed delivery is marked as an error').toBe(SpanStatusCode.ERROR);
    const succeeded = notifications.find((span) => span.status.code !== SpanStatusCode.ERROR);
    expect(succeeded?.attributes['conveyor.delivery.attempt']).toBeGreaterThanOrEqual(2);
    for (const delivery of notifications) expect(traceOf(delivery)).toBe(paid.traceId);
    const sentCall = spans().find((span) => span.kind === SpanKind.CLIENT && parentOf(span) === idOf(succeeded!));
    expect(sentCall?.attributes['conveyor.integration.outcome']).toBe('ok');
  });

  it('stores no trace context with an event appended outside any trace', async () => {
    const order = await pendingOrder();
    const [created] = await traceKey(db, { key: order.orderId });
    expect(created).toMatchObject({ type: 'OrderCreated', traceId: null });
  });
});

describe('the console', () => {
  it("answers each tRPC request in a span named after the procedures it calls", async () => {
    // The route's process-wide database, read when the module loads.
    process.env.DATABASE_URL = url;
    process.env.AUTH_SECRET ??= 'payment-trace-test-auth-secret-0123456789';
    const { GET } = await import('@/app/api/trpc/[trpc]/route');
    const response = await GET(new Request('http://127.0.0.1:3000/api/trpc/orders.get,orders.trace?batch=1&input={}'));
    expect(response.status).toBe(401);
    const span = spans().find((candidate) => candidate.name === 'tRPC orders.get,orders.trace');
    expect(span?.attributes).toMatchObject({ 'rpc.system': 'trpc', 'rpc.method': 'orders.get,orders.trace', 'http.response.status_code': 401 });
  });
});
