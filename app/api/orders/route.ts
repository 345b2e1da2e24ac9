import { getDatabase } from '@/db/client';
import { handleCreateOrder } from '@/server/orders/storefront-api';

export const dynamic = 'force-dynamic';

export function POST(request: Request) {
  return handleCreateOrder(request, getDatabase());
}
