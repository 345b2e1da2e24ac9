import { getSimulators } from '@/server/integrations/simulators';
import { answeringDatabaseOutage } from '@/server/database-unavailable';

export const dynamic = 'force-dynamic';

const handler = answeringDatabaseOutage((request: Request) => getSimulators().handler(request));

export { handler as GET, handler as POST };
