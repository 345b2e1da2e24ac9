import { z } from 'zod';
import { auditOutcomeEnum } from '@/db/schema';
import { listAuditEntries } from '@/server/ops/audit';
import { router, viewerProcedure } from '../init';

export const auditRouter = router({
  list: viewerProcedure
    .input(
      z.object({
        actor: z.string().trim().max(200).optional(),
        action: z.string().trim().max(200).optional(),
        target: z.string().trim().max(200).optional(),
        outcome: z.enum(auditOutcomeEnum.enumValues).optional(),
        from: z.coerce.date().optional(),
        to: z.coerce.date().optional(),
        cursor: z.number().int().optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => listAuditEntries(ctx.db, input)),
});
