import { getOverview } from '@/server/ops/overview';
import { router, viewerProcedure } from '../init';

export const overviewRouter = router({
  get: viewerProcedure.query(({ ctx }) => getOverview(ctx.db)),
});
