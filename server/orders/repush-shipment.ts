import type { Executor } from '@/db/client';
import { DomainError } from '@/server/errors';
import { replayDeadLetters, retryNow } from '@/server/pipeline';
import { fulfilmentDelivery } from './fulfilment-delivery';
import { lockOrder } from './order';

export type RepushShipmentResult =
  | { orderId: string; action: 'retried now'; retryId: number }
  | { orderId: string; action: 'replayed dead letter'; deadLetterId: number; retryId: number }
  | { orderId: string; action: 'nothing to do'; detail: string };

/**
 * Re-push to the warehouse: the fulfilment group's delivery of OrderPaid runs again now —
 * a retry is made due at once, a dead letter is replayed. The push itself stays the
 * consumer's (checks, idempotency by order id at the WMS), so the order moves to FULFILLING
 * through the usual path. An order that already left PAID has nothing to re-push.
 */
export async function repushShipment(db: Executor, input: { orderId: string; actor: string }): Promise<RepushShipmentResult> {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, input.orderId);
    if (order.status !== 'PAID') return { orderId: order.id, action: 'nothing to do', detail: `the order is ${order.status}, not waiting for the warehouse` };
    const delivery = await fulfilmentDelivery(tx, order.id);
    if (delivery.state === 'retrying') {
      if (delivery.running) throw new DomainError('CONFLICT', `A push of order ${order.id} is running right now; wait a few seconds and look at the trace.`);
      await retryNow(tx, { filter: { ids: [delivery.retryId] } });
      return { orderId: order.id, action: 'retried now', retryId: delivery.retryId };
    }
    if (delivery.state === 'dead') {
      const replay = await replayDeadLetters(tx, { filter: { ids: [delivery.deadLetterId] }, actor: input.actor });
      const retryId = replay.dryRun ? 0 : (replay.replays[0]?.retryId ?? 0);
      return { orderId: order.id, action: 'replayed dead letter', deadLetterId: delivery.deadLetterId, retryId };
    }
    throw new DomainError(
      'CONFLICT',
      `Order ${order.id} has no failed warehouse push to re-push: the fulfilment group has not handled it yet or already did. Check the trace.`,
    );
  });
}
