import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentClient } from '@/server/integrations/payment-client';
import { resetSimulatorSettings, SIMULATORS, updateSimulatorSettings } from '@/server/integrations/simulator-settings';
import { cancelOrder } from '@/server/orders/close-order';
import { createOrder } from '@/server/orders/create-order';
import { checkOrderInvariants } from '@/server/orders/order-invariants';
import { requestRefund } from '@/server/orders/request-refund';
import { createSku, eventually } from '@/server/orders/test-fixtures';
import { getLag } from '@/server/pipeline';
import { fastPipelineOptions } from '@/test/fast-pipeline';
import { createTestDatabase } from '@/test/database';
import { startOrderSystem, type OrderSystem } from '@/server/runtime/order-system';

const { db, url } = await createTestDatabase({ max: 20 });
let system: OrderSystem;

beforeAll(async () => {
  system = await startOrderSystem({
    db,
    url,
    simulators: { hangMs: 1_000, settingsMaxAgeMs: 0, wmsDispatchDelayMs: 100, redeliveryBackoff: { baseMs: 50, maxMs: 500 } },
    pipeline: fastPipelineOptions,
    consumers: { backoff: { baseMs: 100, maxMs: 500 }, refundAttempts: 8 },
    clientTimeoutMs: 500,
  });
});
afterAll(() => system.stop());

/** A checkout retries with one idempotency key until the provider answers: one payment at most. */
async function payWithRetries(order: { orderId: string; totalCents: number }) {
  const checkout = createPaymentClient({ name: 'payment', baseUrl: `${system.url}/api/sim/payment`, timeoutMs: 5_000 });
  for (let attempt = 1; ; attempt++) {
    try {
      return await checkout.createPayment({ orderId: order.orderId, amountCents: order.totalCents, notifyUrl: system.notifyUrl }, `checkout:${order.orderId}`);
    } catch (error) {
      if (attempt >= 20) throw error;
    }
  }
}

describe('with every third party failing 20% of requests and losing 10% of responses', () => {
  it('all orders settle and every invariant holds once the third parties recover', { timeout: 120_000 }, async () => {
    for (const simulator of SIMULATORS) await updateSimulatorSettings(db, { simulator, failureRate: 0.2, lostResponseRate: 0.1 });
    const skus = [await createSku(db, { stock: 500, priceCents: 1_500 }), await createSku(db, { stock: 500, priceCents: 800 })];

    const orders = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        createOrder(db, { userId: `faulty-${n % 7}`, items: [{ sku: skus[n % 2]!, quantity: 1 + (n % 3) }], paymentTimeoutMs: n % 10 === 9 ? 500 : undefined }),
      ),
    );
    await Promise.all(
      orders.map(async (order, n) => {
        if (n % 10 === 9) return; // left unpaid: closed by its timeout
        if (n % 10 === 8) return void (await cancelOrder(db, { orderId: order.orderId, reason: 'changed my mind' }));
        await payWithRetries(order);
        if (n % 10 === 7) await requestRefund(db, { orderId: order.orderId, reason: 'customer asked' }).catch(() => {});
      }),
    );

    await resetSimulatorSettings(db);
    await eventually(
      'every order to settle and the pipeline to drain',
      async () => {
        const [row] = await db.execute<{ unsettled: number; retries: number }>(sql`
          select (select count(*) from orders where status in ('PENDING_PAYMENT', 'PAID', 'FULFILLING', 'REFUNDING') and id in ${orders.map((order) => order.orderId)})::int as unsettled,
                 (select count(*) from retries)::int as retries`);
        const lag = (await getLag(db)).reduce((sum, group) => sum + group.lag, 0);
        return row!.unsettled === 0 && row!.retries === 0 && lag === 0 ? true : undefined;
      },
      90_000,
    );

    expect(await checkOrderInvariants(db, { settleSeconds: 0 })).toEqual([]);
  });
});
