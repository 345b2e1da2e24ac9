import { getDatabase } from '@/db/client';
import { handleRefundRequest } from '@/server/orders/storefront-api';

export const dynamic = 'force-dynamic';

export async function POST(request: Request, context: { params: Promise<{ orderId: string }> }) {
  const { orderId } = await context.params;
  return handleRefundRequest(request, getDatabase(), orderId);
}
