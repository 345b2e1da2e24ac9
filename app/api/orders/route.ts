import { getDatabase } from '@/db/client';
import { handleCreateOrder } from '@/server/orders/storefront-api';
import { answeringDatabaseOutage } from '@/server/database-unavailable';

export const dynamic = 'force-dynamic';

export const POST = answeringDatabaseOutage((request: Request) => handleCreateOrder(request, getDatabase()));
