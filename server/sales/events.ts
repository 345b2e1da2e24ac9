import { z } from 'zod';
import type { AppendEventInput, PipelineEvent } from '@/server/pipeline';

/**
 * Sale event payloads, one registry as for orders. Every event of a sale has the sale's id as
 * its key, so a sale's admitted attempts reach one consumer runner in admission order and its
 * order-creation rate is capped in one place.
 */
export const SALES_TOPIC = 'sales';

const isoDate = z.iso.datetime({ offset: true });

export const saleEventSchemas = {
  /** Appended by the admission statement itself (see decide-attempts.ts), never through `saleEvent`. */
  SaleAttemptAdmitted: z.object({ saleId: z.string(), attemptId: z.string(), reservationId: z.string(), paymentDeadline: isoDate }),
  /** Delayed until the start time: the stored state catches up with the clock. */
  SaleStartDue: z.object({ saleId: z.string() }),
  /** Delayed until the end time: the sale ends and what is left goes back to normal stock. */
  SaleTimeUp: z.object({ saleId: z.string() }),
} as const;

export type SaleEventType = keyof typeof saleEventSchemas;
export type SaleEventPayload<T extends SaleEventType> = z.infer<(typeof saleEventSchemas)[T]>;

export function saleEvent<T extends SaleEventType>(type: T, payload: SaleEventPayload<T>, options: { deliverAt?: Date } = {}): AppendEventInput<SaleEventPayload<T>> {
  return { topic: SALES_TOPIC, key: payload.saleId, type, payload: saleEventSchemas[type].parse(payload) as SaleEventPayload<T>, deliverAt: options.deliverAt };
}

export function parseSaleEvent<T extends SaleEventType>(type: T, event: PipelineEvent): SaleEventPayload<T> {
  if (event.type !== type) throw new Error(`expected a ${type} event, got ${event.type} (${event.id})`);
  return saleEventSchemas[type].parse(event.payload) as SaleEventPayload<T>;
}
