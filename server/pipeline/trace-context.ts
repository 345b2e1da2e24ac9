import { context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { PipelineEvent } from './types';

/**
 * How a trace rides the pipeline. An append made while a span records (a request, a
 * delivery) gets an `outbox append` span, and that span's W3C context is stored in each
 * event's `headers` (`traceparent`, `tracestate`): the relay copies headers into the log, the
 * relay's publish span and every group's delivery span are children of that append span, and
 * what a handler appends is a child of its delivery. So one payment notification is one
 * trace across the order API, the relay and every consumer.
 *
 * Only the OpenTelemetry API is used here. With no SDK registered (tracing off) no span
 * records, nothing is written to the headers, and what runs is the API's no-op.
 */
const tracer = trace.getTracer('conveyor-pipeline');

const MESSAGING_SYSTEM = 'conveyor';

/** An append span in flight: the headers that carry it, and its end once the rows are written. */
export interface AppendSpan {
  headers: Record<string, string>;
  end(outcome: { appended: number } | { error: unknown }): void;
}

/**
 * Starts the append span of events about to be appended under `parent` (by default the
 * active context). Null when there is no trace there: then nothing is stored. Under a trace
 * the sampler left out, no span starts but its context is stored, so that the relay and the
 * deliveries are left out too instead of each starting a trace of its own.
 */
export function startAppendSpan(events: readonly { topic: string; type: string }[], parent: Context = context.active()): AppendSpan | null {
  const parentSpan = trace.getSpan(parent);
  if (!parentSpan || !isSpanContextValid(parentSpan.spanContext())) return null;
  if (!parentSpan.isRecording()) {
    const headers: Record<string, string> = {};
    propagation.inject(parent, headers);
    return { headers, end() {} };
  }
  const topics = [...new Set(events.map((event) => event.topic))];
  const span = tracer.startSpan(
    'outbox append',
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': MESSAGING_SYSTEM,
        'messaging.operation.type': 'create',
        ...(topics.length === 1 && { 'messaging.destination.name': topics[0] }),
        'conveyor.event.types': [...new Set(events.map((event) => event.type))],
      },
    },
    parent,
  );
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), headers);
  return {
    headers,
    end(outcome) {
      if ('error' in outcome) failSpan(span, outcome.error);
      else span.setAttribute('messaging.batch.message_count', outcome.appended);
      span.end();
    },
  };
}

/** An event's headers with the append span's context added (the span's own keys win). */
export function withTraceHeaders(headers: Record<string, string> | undefined, append: AppendSpan | null): Record<string, string> | undefined {
  return append ? { ...headers, ...append.headers } : headers;
}

/** The context an event was appended in, from its headers; the root context when it carries none. */
export function appendedContext(headers: Record<string, string>): Context {
  return headers.traceparent ? propagation.extract(ROOT_CONTEXT, headers) : ROOT_CONTEXT;
}

/**
 * The trace id in an event's `traceparent` header (W3C: version-traceid-parentid-flags) when
 * the trace was sampled, so that it can be found where traces are exported; else null.
 */
export function traceIdOf(traceparent: string | null | undefined): string | null {
  const [, traceId, , flags] = traceparent?.split('-') ?? [];
  const sampled = flags !== undefined && (Number.parseInt(flags, 16) & 1) === 1;
  return sampled && traceId && /^[0-9a-f]{32}$/.test(traceId) ? traceId : null;
}

/** An event the relay moved into the log that carried a trace context. */
export interface RelayedTrace {
  id: string;
  type: string;
  topic: string;
  partition: number;
  offset: number;
  traceparent: string;
  tracestate: string | null;
}

/**
 * One `relay publish` span per traced event of a relay batch, each a child of its event's
 * append span and timed as the batch's statement: the relay moves a batch in one statement,
 * so the batch's time is each event's time in the relay.
 */
export function recordRelaySpans(relayed: readonly RelayedTrace[], startTime: number, endTime: number): void {
  for (const event of relayed) {
    const parent = appendedContext(event.tracestate ? { traceparent: event.traceparent, tracestate: event.tracestate } : { traceparent: event.traceparent });
    tracer
      .startSpan(
        'relay publish',
        {
          kind: SpanKind.PRODUCER,
          startTime,
          attributes: {
            'messaging.system': MESSAGING_SYSTEM,
            'messaging.operation.type': 'send',
            'messaging.destination.name': event.topic,
            'messaging.destination.partition.id': String(event.partition),
            'messaging.message.id': event.id,
            'conveyor.event.type': event.type,
            'conveyor.event.offset': event.offset,
          },
        },
        parent,
      )
      .end(endTime);
  }
}

/**
 * Runs `handle` (one group's handling of one event) in a delivery span whose parent is the
 * event's append span, so what the handler appends or calls joins the event's trace.
 */
export function traceDelivery<T>(event: PipelineEvent, delivery: { group: string; attempt: number }, handle: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(
    `${delivery.group} process`,
    { kind: SpanKind.CONSUMER, attributes: deliveryAttributes(event, delivery) },
    appendedContext(event.headers),
    async (span) => {
      try {
        return await handle();
      } catch (error) {
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Delivery spans for a group's batch handler, which handles several events in one call:
 * one span per event, all covering the call. The handler runs in no single event's span,
 * so what it appends starts no trace of its own.
 */
export async function traceBatchDelivery<T>(events: readonly PipelineEvent[], delivery: { group: string; attempt: number }, handle: () => Promise<T>): Promise<T> {
  const spans = events.map((event) =>
    tracer.startSpan(`${delivery.group} process`, { kind: SpanKind.CONSUMER, attributes: deliveryAttributes(event, delivery) }, appendedContext(event.headers)),
  );
  try {
    return await handle();
  } catch (error) {
    for (const span of spans) failSpan(span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

function deliveryAttributes(event: PipelineEvent, delivery: { group: string; attempt: number }): Attributes {
  return {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.operation.type': 'process',
    'messaging.consumer.group.name': delivery.group,
    'messaging.destination.name': event.topic,
    'messaging.destination.partition.id': String(event.partition),
    'messaging.message.id': event.id,
    'conveyor.event.type': event.type,
    'conveyor.event.offset': event.offset,
    'conveyor.delivery.attempt': delivery.attempt,
  };
}

function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
