import 'server-only';
import { createCallerFactory, router } from './init';
import { accountRouter } from './routers/account';
import { approvalsRouter } from './routers/approvals';
import { alertsRouter } from './routers/alerts';
import { apiTokensRouter } from './routers/api-tokens';
import { auditRouter } from './routers/audit';
import { deadLettersRouter } from './routers/dead-letters';
import { failedPushesRouter } from './routers/failed-pushes';
import { longWorkRouter } from './routers/long-work';
import { ordersRouter } from './routers/orders';
import { overviewRouter } from './routers/overview';
import { queuesRouter } from './routers/queues';
import { reconciliationRouter } from './routers/reconciliation';
import { reportsRouter } from './routers/reports';
import { salesRouter } from './routers/sales';
import { sessionRouter } from './routers/session';
import { thirdPartiesRouter } from './routers/third-parties';
import { usersRouter } from './routers/users';

export const appRouter = router({
  session: sessionRouter,
  account: accountRouter,
  overview: overviewRouter,
  longWork: longWorkRouter,
  users: usersRouter,
  audit: auditRouter,
  approvals: approvalsRouter,
  orders: ordersRouter,
  deadLetters: deadLettersRouter,
  failedPushes: failedPushesRouter,
  queues: queuesRouter,
  thirdParties: thirdPartiesRouter,
  reconciliation: reconciliationRouter,
  alerts: alertsRouter,
  reports: reportsRouter,
  sales: salesRouter,
  apiTokens: apiTokensRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
