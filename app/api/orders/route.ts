import { getDatabase } from '@/db/client';
import { handleCreateOrder } from '@/server/orders/handle-create-order';

export const dynamic = 'force-dynamic';

export function POST(request: Request) {
  return handleCreateOrder(request, getDatabase());
}
