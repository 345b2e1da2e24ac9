import { router, viewerProcedure } from '../init';

export const sessionRouter = router({
  me: viewerProcedure.query(({ ctx }) => ctx.actor),
});
