import { z } from 'zod';
import { auditOutcomeEnum, roleEnum } from '@/db/schema';
import { hasRole } from '@/shared/roles';
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
    // Declared so the server, not the screen, decides what leaves it: input and result reach admins only.
    .output(
      z.object({
        entries: z.array(
          z.object({
            id: z.number(),
            at: z.date(),
            actorEmail: z.string().nullable(),
            actorRole: z.enum(roleEnum.enumValues).nullable(),
            action: z.string(),
            target: z.string().nullable(),
            reason: z.string().nullable(),
            outcome: z.enum(auditOutcomeEnum.enumValues),
            message: z.string().nullable(),
            input: z.unknown().optional(),
            result: z.unknown().optional(),
            requestId: z.string().nullable().optional(),
          }),
        ),
        nextCursor: z.number().nullable(),
      }),
    )
    .query(({ ctx, input }) => listAuditEntries(ctx.db, input, { withInputs: hasRole(ctx.actor.role, 'admin') })),
});
