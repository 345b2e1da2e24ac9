import { getDatabase } from '@/db/client';
import { handleWmsCallback } from '@/server/orders/handle-wms-callback';
import { answeringDatabaseOutage } from '@/server/database-unavailable';

export const dynamic = 'force-dynamic';

export const POST = answeringDatabaseOutage((request: Request) => handleWmsCallback(request, getDatabase()));
