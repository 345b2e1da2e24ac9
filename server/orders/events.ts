import { z } from 'zod';
import type { AppendEventInput, PipelineEvent } from '@/server/pipeline';

/**
 * The one registry of order event payloads. Producers build events with `orderEvent`,
 * consumers read them with `parseOrderEvent`, so both sides share one schema per type.
 */

export const ORDERS_TOPIC = 'orders';

const lineItem = z.object({
  sku: z.string(),
  quantity: z.number().int().positive(),
  unitPriceCents: z.number().int().positive(),
});
export type LineItem = z.infer<typeof lineItem>;

const isoDate = z.iso.datetime({ offset: true });

export const orderEventSchemas = {
  OrderCreated: z.object({
    orderId: z.string(),
    userId: z.string(),
    items: z.array(lineItem).min(1),
    totalCents: z.number().int().positive(),
    paymentDeadline: isoDate,
  }),
  /** Delayed until the payment deadline; closes the order if it is still unpaid. */
  OrderPaymentTimeout: z.object({ orderId: z.string() }),
  OrderPaid: z.object({
    orderId: z.string(),
    userId: z.string(),
    contactPhone: z.string(),
    paymentId: z.string(),
    amountCents: z.number().int().positive(),
    items: z.array(lineItem).min(1),
    paidAt: isoDate,
  }),
  OrderClosed: z.object({
    orderId: z.string(),
    reason: z.enum(['timeout', 'cancelled']),
    detail: z.string().optional(),
  }),
  RefundRequested: z.object({
    orderId: z.string(),
    refundId: z.string(),
    paymentId: z.string(),
    amountCents: z.number().int().positive(),
    kind: z.enum(['order', 'extra_payment']),
    reason: z.string(),
  }),
  RefundSucceeded: z.object({
    orderId: z.string(),
    refundId: z.string(),
    userId: z.string(),
    contactPhone: z.string(),
    amountCents: z.number().int().positive(),
    /** True when the refunded payment had paid the order: points, coupon and sales are reversed. */
    reversesSale: z.boolean(),
    items: z.array(lineItem),
    refundedAt: isoDate,
  }),
  RefundFailed: z.object({ orderId: z.string(), refundId: z.string(), error: z.string() }),
  ShipmentAccepted: z.object({ orderId: z.string(), shipmentId: z.string() }),
  OrderShipped: z.object({
    orderId: z.string(),
    contactPhone: z.string(),
    carrier: z.string(),
    trackingNumber: z.string(),
    shippedAt: isoDate,
  }),
} as const;

export type OrderEventType = keyof typeof orderEventSchemas;
export type OrderEventPayload<T extends OrderEventType> = z.infer<(typeof orderEventSchemas)[T]>;

export function orderEvent<T extends OrderEventType>(
  type: T,
  payload: OrderEventPayload<T>,
  options: { deliverAt?: Date } = {},
): AppendEventInput<OrderEventPayload<T>> {
  return {
    topic: ORDERS_TOPIC,
    key: payload.orderId,
    type,
    payload: orderEventSchemas[type].parse(payload) as OrderEventPayload<T>,
    deliverAt: options.deliverAt,
  };
}

/** Validates on read: a payload that does not match its schema fails the delivery loudly. */
export function parseOrderEvent<T extends OrderEventType>(type: T, event: PipelineEvent): OrderEventPayload<T> {
  if (event.type !== type) throw new Error(`expected a ${type} event, got ${event.type} (${event.id})`);
  return orderEventSchemas[type].parse(event.payload) as OrderEventPayload<T>;
}
