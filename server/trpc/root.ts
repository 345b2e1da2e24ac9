import { createCallerFactory, router } from './init';
import { auditRouter } from './routers/audit';
import { sessionRouter } from './routers/session';
import { usersRouter } from './routers/users';

export const appRouter = router({
  session: sessionRouter,
  users: usersRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
