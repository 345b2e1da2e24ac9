import { desc, isNotNull } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { simPayments, simShipments } from '@/db/schema';

/** What the simulators' redelivery stopped on: newest first, at most `limit` of each kind. */
export async function simulatorGiveUps(db: Executor, limit = 100) {
  const [payments, shipments] = await Promise.all([
    db.select().from(simPayments).where(isNotNull(simPayments.notifyGivenUpAt)).orderBy(desc(simPayments.notifyGivenUpAt)).limit(limit),
    db.select().from(simShipments).where(isNotNull(simShipments.callbackGivenUpAt)).orderBy(desc(simShipments.callbackGivenUpAt)).limit(limit),
  ]);
  return {
    /** Payment notifications the merchant never acknowledged. */
    notifications: payments.map((found) => ({
      paymentId: found.id,
      orderId: found.orderId,
      notifyUrl: found.notifyUrl,
      attempts: found.notifyAttempts,
      lastError: found.lastNotifyError,
      givenUpAt: found.notifyGivenUpAt!,
    })),
    /** Dispatch callbacks the merchant never acknowledged. */
    callbacks: shipments.map((found) => ({
      shipmentId: found.id,
      orderId: found.orderId,
      callbackUrl: found.callbackUrl,
      attempts: found.callbackAttempts,
      lastError: found.lastCallbackError,
      givenUpAt: found.callbackGivenUpAt!,
    })),
  };
}
