import type { Executor } from '@/db/client';
import { isDomainError } from '@/server/errors';
import { cancelOrder } from '@/server/orders/close-order';
import { repushShipment } from '@/server/orders/repush-shipment';
import { retryOrderRefund } from '@/server/orders/retry-refund';
import { beginAuditedAction, finishAuditedAction, type AuditActor } from './audit';
import { reportProgress } from './long-work/report-progress';
import { startLongWork } from './long-work/start-long-work';

/** The compensations support may run over a pasted list of orders, each the same command as its button on the order page. */
export const BULK_ORDER_ACTIONS = {
  repushShipment: { label: 'Re-push to WMS', run: (db: Executor, orderId: string, actor: AuditActor) => repushShipment(db, { orderId, actor: actor.email }) },
  retryRefund: { label: 'Retry refund', run: (db: Executor, orderId: string, _actor: AuditActor, reason: string) => retryOrderRefund(db, { orderId, reason }) },
  closeOrder: { label: 'Close order', run: (db: Executor, orderId: string, _actor: AuditActor, reason: string) => cancelOrder(db, { orderId, reason }) },
} as const;
export type BulkOrderAction = keyof typeof BULK_ORDER_ACTIONS;

/** At most this many orders per request: as many as the search takes pasted. */
export const MAX_BULK_ORDERS = 200;

export type BulkOrderOutcome = { orderId: string; ok: boolean; message: string };

/**
 * One compensation over many orders, run here in the request. Each order is acted on as its
 * own button would: an audit row of its own (action `orders.<action>`, target the order) with
 * a request id derived from the bulk's, so a repeat acts on no order twice; an order the
 * action does not fit is refused with the service's reason and counted as a failure. Its
 * progress is recorded (long_work, started from /orders) after every order, so the Orders
 * screen and the Overview show it live and after a reload.
 */
export async function compensateOrdersBulk(
  db: Executor,
  input: { action: BulkOrderAction; orderIds: string[]; actor: AuditActor; reason: string; requestId: string },
): Promise<{ workId: number; outcomes: BulkOrderOutcome[] }> {
  const orderIds = [...new Set(input.orderIds)];
  const action = BULK_ORDER_ACTIONS[input.action];
  const work = await startLongWork(db, {
    kind: 'bulk_order_action',
    label: `${action.label}: ${orderIds.length} order${orderIds.length === 1 ? '' : 's'}`,
    startedFrom: '/orders',
    startedBy: input.actor.email,
    reason: input.reason,
    total: orderIds.length,
    subject: { bulkOrderAction: { action: input.action, orderIds } },
  });
  const progress = reportProgress(db, work.id);
  const outcomes: BulkOrderOutcome[] = [];
  const counts = () => ({ done: outcomes.length, failures: outcomes.filter((outcome) => !outcome.ok).length });
  try {
    for (const orderId of orderIds) {
      outcomes.push(await compensateOne(db, { ...input, orderId }));
      progress.update(counts());
    }
  } catch (error) {
    await progress.finish({ counts: counts(), error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
  await progress.finish({ counts: counts() });
  return { workId: work.id, outcomes };
}

async function compensateOne(db: Executor, input: { action: BulkOrderAction; orderId: string; actor: AuditActor; reason: string; requestId: string }): Promise<BulkOrderOutcome> {
  const begun = await beginAuditedAction(db, {
    actor: input.actor,
    action: `orders.${input.action}`,
    target: input.orderId,
    reason: input.reason,
    input: { orderId: input.orderId, bulk: input.requestId },
    requestId: `${input.requestId}:${input.orderId}`,
  });
  if (begun.kind === 'done') return { orderId: input.orderId, ok: true, message: 'done (by this request before)' };
  if (begun.kind === 'in-progress') return { orderId: input.orderId, ok: false, message: 'already being acted on by this request' };
  try {
    const result = await BULK_ORDER_ACTIONS[input.action].run(db, input.orderId, input.actor, input.reason);
    await finishAuditedAction(db, begun.auditId, 'ok', { result });
    return { orderId: input.orderId, ok: true, message: 'done' };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await finishAuditedAction(db, begun.auditId, 'error', { message });
    // A refusal (wrong state, unknown order) or a failure is this order's answer; the others still get theirs.
    return { orderId: input.orderId, ok: false, message: isDomainError(error) ? message : `failed: ${message}` };
  }
}
