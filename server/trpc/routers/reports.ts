import { z } from 'zod';
import { pipelineThroughputHistory, salesBySku, salesOverTime } from '@/server/ops/sales-report';
import { router, viewerProcedure } from '../init';

export const reportsRouter = router({
  sales: viewerProcedure
    .input(z.object({ hours: z.number().int().min(1).max(24 * 31).default(24) }))
    .query(async ({ ctx, input }) => {
      const [overTime, bySku] = await Promise.all([salesOverTime(ctx.db, input), salesBySku(ctx.db, { hours: input.hours, limit: 15 })]);
      return { overTime, bySku };
    }),
  throughput: viewerProcedure
    .input(z.object({ minutes: z.number().int().min(5).max(24 * 60).default(60) }))
    .query(({ ctx, input }) => pipelineThroughputHistory(ctx.db, input)),
});
