import { getDatabase } from '@/db/client';
import { handleRefundRequest } from '@/server/orders/storefront-api';
import { answeringDatabaseOutage } from '@/server/database-unavailable';

export const dynamic = 'force-dynamic';

export const POST = answeringDatabaseOutage(async (request: Request, context: { params: Promise<{ orderId: string }> }) => {
  const { orderId } = await context.params;
  return handleRefundRequest(request, getDatabase(), orderId);
});
