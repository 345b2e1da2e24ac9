import { answeringDatabaseOutage } from '@/server/http/http-answer';
import { getAuth } from '@/server/auth/auth';

export const dynamic = 'force-dynamic';

// Next.js tells a route handler nothing of the connection; see clientAddress for what stands in for it.
const handler = answeringDatabaseOutage((request: Request) => getAuth().handle(request));

export { handler as GET, handler as POST };
