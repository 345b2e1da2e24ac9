import { answeringDatabaseOutage } from '@/server/http/http-answer';
import { withBodyLimit } from '@/server/http/request-body-limit';
import { getAuth } from '@/server/auth/auth';
import { maxBodyBytesSetting } from '@/server/runtime/settings';

export const dynamic = 'force-dynamic';

// Next.js tells a route handler nothing of the connection; see clientAddress for what stands in for it.
// Sign-in reads its body whole, so an oversized one is refused before that, as on /api/trpc.
const handler = withBodyLimit(maxBodyBytesSetting(), answeringDatabaseOutage((request: Request) => getAuth().handle(request)));

export { handler as GET, handler as POST };
