import { getDatabase } from '@/db/client';
import { handlePaymentNotification } from '@/server/orders/handle-payment-notification';
import { answeringDatabaseOutage } from '@/server/database-unavailable';

export const dynamic = 'force-dynamic';

export const POST = answeringDatabaseOutage((request: Request) => handlePaymentNotification(request, getDatabase()));
