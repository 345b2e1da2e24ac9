import { createCallerFactory, router } from './init';
import { approvalsRouter } from './routers/approvals';
import { auditRouter } from './routers/audit';
import { deadLettersRouter } from './routers/dead-letters';
import { failedPushesRouter } from './routers/failed-pushes';
import { ordersRouter } from './routers/orders';
import { queuesRouter } from './routers/queues';
import { sessionRouter } from './routers/session';
import { thirdPartiesRouter } from './routers/third-parties';
import { usersRouter } from './routers/users';

export const appRouter = router({
  session: sessionRouter,
  users: usersRouter,
  audit: auditRouter,
  approvals: approvalsRouter,
  orders: ordersRouter,
  deadLetters: deadLettersRouter,
  failedPushes: failedPushesRouter,
  queues: queuesRouter,
  thirdParties: thirdPartiesRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
