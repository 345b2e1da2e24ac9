import { getDatabase } from '@/db/client';
import { handlePaymentNotification } from '@/server/orders/handle-payment-notification';

export const dynamic = 'force-dynamic';

export function POST(request: Request) {
  return handlePaymentNotification(request, getDatabase());
}
