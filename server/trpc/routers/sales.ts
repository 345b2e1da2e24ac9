import { z } from 'zod';
import { armSale, armSaleFields } from '@/server/sales/arm-sale';
import { changeBuyerLimit } from '@/server/sales/change-buyer-limit';
import { endSale } from '@/server/sales/end-sale';
import { pauseSale, resumeSale } from '@/server/sales/pause-sale';
import { saleApprovalUnits } from '@/server/sales/sale-settings';
import { listSales, saleFigures } from '@/server/sales/sale-figures';
import { SALE_END_REASONS, SALE_STATES } from '@/shared/sales';
import { adminProcedure, mutationInput, oncallProcedure, router, viewerProcedure } from '../init';

const saleId = z.string().trim().min(1).max(200);

const units = z.object({ armed: z.number(), left: z.number(), reserved: z.number(), sold: z.number(), returned: z.number(), returnedToStock: z.number() });

const saleSummary = z.object({
  id: z.string(),
  name: z.string(),
  sku: z.string(),
  state: z.enum(SALE_STATES),
  endReason: z.enum(SALE_END_REASONS).nullable(),
  priceCents: z.number(),
  perBuyerLimit: z.number(),
  startsAt: z.date(),
  endsAt: z.date(),
  armedBy: z.string(),
  createdAt: z.date(),
  units,
});

const saleState = z.object({ saleId: z.string(), state: z.enum(SALE_STATES) });

/** Sales above SALE_APPROVAL_UNITS wait for a second admin. */
function armNeedsApproval(input: Record<string, unknown>): string | null {
  const requested = Number(input.units);
  if (!Number.isInteger(requested) || requested <= saleApprovalUnits()) return null;
  return `arm the sale “${String(input.name)}” of ${requested} units of ${String(input.sku)} (more than SALE_APPROVAL_UNITS, ${saleApprovalUnits()})`;
}

export const salesRouter = router({
  list: viewerProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 }))
    .output(z.array(saleSummary))
    .query(({ ctx, input }) => listSales(ctx.db, input)),

  figures: viewerProcedure
    .input(z.object({ saleId, minutes: z.number().int().min(1).max(60).default(5) }))
    .output(
      z.object({
        sale: saleSummary,
        attemptsPerSecond: z.array(
          z.object({ second: z.date(), admitted: z.number(), soldOut: z.number(), limitReached: z.number(), notLive: z.number(), throttled: z.number() }),
        ),
        p99DecisionMs: z.number().nullable(),
        orderLagMs: z.number(),
        ordersAwaitingPayment: z.number(),
      }),
    )
    .query(({ ctx, input }) => saleFigures(ctx.db, input)),

  arm: adminProcedure
    .meta({ auditTarget: 'sku', needsApproval: armNeedsApproval })
    .input(mutationInput(armSaleFields))
    .output(saleState.extend({ unitsArmed: z.number() }))
    .mutation(async ({ ctx, input }) => {
      const sale = await armSale(ctx.db, { ...input, armedBy: ctx.actor.email });
      return { saleId: sale.id, state: sale.state, unitsArmed: sale.unitsArmed };
    }),

  pause: oncallProcedure
    .meta({ auditTarget: 'saleId' })
    .input(mutationInput({ saleId }))
    .output(saleState)
    .mutation(({ ctx, input }) => pauseSale(ctx.db, input)),

  resume: oncallProcedure
    .meta({ auditTarget: 'saleId' })
    .input(mutationInput({ saleId }))
    .output(saleState)
    .mutation(({ ctx, input }) => resumeSale(ctx.db, input)),

  end: oncallProcedure
    .meta({ auditTarget: 'saleId' })
    .input(mutationInput({ saleId }))
    .output(saleState.extend({ unitsReturned: z.number() }))
    .mutation(async ({ ctx, input }) => {
      const ended = await endSale(ctx.db, { saleId: input.saleId, reason: 'manual' });
      return { saleId: ended.saleId, state: ended.state, unitsReturned: ended.unitsReturned };
    }),

  changeBuyerLimit: adminProcedure
    .meta({ auditTarget: 'saleId' })
    .input(mutationInput({ saleId, perBuyerLimit: z.number().int().positive().max(1_000) }))
    .output(z.object({ saleId: z.string(), perBuyerLimit: z.number() }))
    .mutation(({ ctx, input }) => changeBuyerLimit(ctx.db, input)),
});
