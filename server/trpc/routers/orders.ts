import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { orderStatusEnum } from '@/db/schema';
import { listAuditEntries } from '@/server/ops/audit';
import { cancelOrder } from '@/server/orders/close-order';
import { cancelShipment } from '@/server/orders/cancel-shipment';
import { markRefundDone } from '@/server/orders/mark-refund-done';
import { getOrderDetails } from '@/server/orders/order-details';
import { openFindingsOfOrder } from '@/server/ops/watch-invariants';
import { listStuckOrders, searchOrders, stuckStages } from '@/server/orders/order-search';
import { releaseFrozenStock } from '@/server/orders/release-frozen-stock';
import { repushShipment } from '@/server/orders/repush-shipment';
import { retryOrderRefund } from '@/server/orders/retry-refund';
import { reversePoints } from '@/server/orders/reverse-points';
import { revokeCoupon } from '@/server/orders/revoke-coupon';
import { traceKey } from '@/server/pipeline';
import { manualRefundNeedsApproval } from '@/server/ops/approval-policies';
import { BULK_ORDER_ACTIONS, compensateOrdersBulk, MAX_BULK_ORDERS, type BulkOrderAction } from '@/server/ops/compensate-orders-bulk';
import { mutationInput, router, supportProcedure, viewerProcedure } from '../init';

const orderId = z.string().trim().min(1, 'Enter an order id').max(200);
const stage = z.enum(stuckStages.map((entry) => entry.stage) as [(typeof stuckStages)[number]['stage'], ...(typeof stuckStages)[number]['stage'][]]);
const compensation = supportProcedure.meta({ auditTarget: 'orderId' });
/** The order page traces this many of the order's latest events: an order retried for days has thousands, and the page stays fast. */
const TRACE_EVENTS = 200;

export const ordersRouter = router({
  search: viewerProcedure
    .input(
      z.object({
        orderIds: z.array(z.string().trim().min(1)).max(200).optional(),
        userId: z.string().trim().max(200).optional(),
        status: z.enum(orderStatusEnum.enumValues).optional(),
        createdFrom: z.coerce.date().optional(),
        createdTo: z.coerce.date().optional(),
        cursor: z.string().max(200).optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => searchOrders(ctx.db, input)),

  stuck: viewerProcedure
    .input(z.object({ stage: stage.optional(), userId: z.string().trim().max(200).optional(), cursor: z.string().max(200).optional(), limit: z.number().int().min(1).max(200).default(50) }))
    .query(({ ctx, input }) => listStuckOrders(ctx.db, input)),

  get: viewerProcedure.input(z.object({ orderId })).query(async ({ ctx, input }) => {
    const details = await getOrderDetails(ctx.db, input.orderId);
    return { ...details, invariantFindings: await openFindingsOfOrder(ctx.db, input.orderId) };
  }),

  /** The order's latest events with each consumer group's state, whether older ones were left out, and the console actions about this order. */
  trace: viewerProcedure.input(z.object({ orderId })).query(async ({ ctx, input }) => {
    const [traced, audit] = await Promise.all([
      traceKey(ctx.db, { key: input.orderId, limit: TRACE_EVENTS + 1 }),
      listAuditEntries(ctx.db, { target: input.orderId, limit: 100 }, { withInputs: false }),
    ]);
    return {
      events: traced.slice(-TRACE_EVENTS),
      earlierEvents: traced.length > TRACE_EVENTS,
      actions: audit.entries.map(({ id, at, actorEmail, actorRole, action, reason, outcome, message }) => ({ id, at, actorEmail, actorRole, action, reason, outcome, message })),
    };
  }),

  repushShipment: compensation
    .input(mutationInput({ orderId }))
    .mutation(({ ctx, input }) => repushShipment(ctx.db, { orderId: input.orderId, actor: ctx.actor.email })),

  cancelShipment: compensation.input(mutationInput({ orderId })).mutation(({ ctx, input }) => cancelShipment(ctx.db, input)),

  releaseStock: compensation.input(mutationInput({ orderId })).mutation(({ ctx, input }) => releaseFrozenStock(ctx.db, input)),

  retryRefund: compensation.input(mutationInput({ orderId })).mutation(({ ctx, input }) => retryOrderRefund(ctx.db, input)),

  markRefundDone: compensation
    .meta({ needsApproval: manualRefundNeedsApproval })
    .input(mutationInput({ orderId, providerReference: z.string().trim().min(4, "Enter the provider's refund reference").max(200) }))
    .mutation(({ ctx, input }) => markRefundDone(ctx.db, input)),

  reversePoints: compensation.input(mutationInput({ orderId })).mutation(({ ctx, input }) => reversePoints(ctx.db, input)),

  revokeCoupon: compensation.input(mutationInput({ orderId })).mutation(({ ctx, input }) => revokeCoupon(ctx.db, input)),

  closeOrder: compensation.input(mutationInput({ orderId })).mutation(({ ctx, input }) => cancelOrder(ctx.db, input)),

  /** One compensation over pasted orders, each audited as its own button; its progress shows on Orders and the Overview. */
  bulkCompensate: supportProcedure
    .meta({ auditTarget: 'action' })
    .input(
      mutationInput({
        action: z.enum(Object.keys(BULK_ORDER_ACTIONS) as [BulkOrderAction, ...BulkOrderAction[]]),
        orderIds: z.array(orderId).min(1, 'Select at least one order').max(MAX_BULK_ORDERS, `At most ${MAX_BULK_ORDERS} orders at once`),
      }),
    )
    .mutation(({ ctx, input }) =>
      compensateOrdersBulk(ctx.db, { action: input.action, orderIds: input.orderIds, actor: ctx.actor, reason: input.reason, requestId: input.requestId ?? randomUUID() }),
    ),
});
