import { router, viewerProcedure } from '../init';

export const sessionRouter = router({
  me: viewerProcedure.meta({ allowedBeforePasswordChange: true }).query(({ ctx }) => ctx.actor),
});
