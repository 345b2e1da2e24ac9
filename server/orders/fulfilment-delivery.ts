import type { Executor } from '@/db/client';
import { FULFILMENT_GROUP } from '@/server/consumers/groups';
import { listDeliveries } from '@/server/pipeline';

export type FulfilmentDelivery =
  | { state: 'retrying'; retryId: number; attempt: number; nextAttemptAt: Date; lastError: string | null; running: boolean }
  | { state: 'dead'; deadLetterId: number; attempts: number; lastError: string | null }
  | { state: 'none' };

/** Where the fulfilment group is with the order's OrderPaid (the push to the warehouse): retrying, dead, or neither. */
export async function fulfilmentDelivery(db: Executor, orderId: string): Promise<FulfilmentDelivery> {
  const deliveries = await listDeliveries(db, { keys: [orderId], type: 'OrderPaid', group: FULFILMENT_GROUP, states: ['retrying', 'dead'] });
  const retry = deliveries.find((delivery) => delivery.state === 'retrying');
  if (retry) {
    const { retryId, attempt, nextAttemptAt, lastError, running } = retry;
    return { state: 'retrying', retryId, attempt, nextAttemptAt, lastError, running };
  }
  const dead = deliveries.find((delivery) => delivery.state === 'dead');
  if (dead) return { state: 'dead', deadLetterId: dead.deadLetterId, attempts: dead.attempts, lastError: dead.lastError };
  return { state: 'none' };
}
