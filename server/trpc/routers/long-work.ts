import { z } from 'zod';
import { longWorkKindEnum, longWorkStateEnum } from '@/db/schema';
import { listLongWork } from '@/server/ops/long-work/long-work';
import { router, viewerProcedure } from '../init';

const workView = z.object({
  id: z.number(),
  kind: z.enum(longWorkKindEnum.enumValues),
  label: z.string(),
  startedFrom: z.string(),
  startedBy: z.string(),
  reason: z.string(),
  total: z.number(),
  done: z.number(),
  failures: z.number(),
  state: z.enum(longWorkStateEnum.enumValues),
  error: z.string().nullable(),
  startedAt: z.date(),
  updatedAt: z.date(),
  finishedAt: z.date().nullable(),
  timeLeftMs: z.number().nullable(),
});

export const longWorkRouter = router({
  /** Running work (all of it, for the Overview), or one screen's work: running and recently ended. */
  list: viewerProcedure
    .input(
      z.object({
        startedFrom: z
          .string()
          .max(100)
          .regex(/^\/[a-z0-9/-]*$/, 'startedFrom: a console path such as /dead-letters')
          .optional(),
        limit: z.number().int().min(1).max(50).default(10),
      }),
    )
    .output(z.object({ work: z.array(workView) }))
    .query(async ({ ctx, input }) => ({ work: await listLongWork(ctx.db, input) })),
});
