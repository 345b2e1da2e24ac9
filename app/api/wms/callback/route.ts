import { getDatabase } from '@/db/client';
import { handleWmsCallback } from '@/server/orders/handle-wms-callback';

export const dynamic = 'force-dynamic';

export function POST(request: Request) {
  return handleWmsCallback(request, getDatabase());
}
