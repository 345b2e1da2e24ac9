import { z } from 'zod';
import { createPaymentClient } from '@/server/integrations/payment-client';
import type { AdmittedAttempt } from './sale-attempts';

/** The part of `GET /api/sales/:saleId/attempts/:attemptId` a buyer needs: the order, once it exists. */
const attemptState = z.object({ orderId: z.string().nullish() });

export interface PaidSaleOrders {
  paid: number;
  /** Admitted attempts whose order did not exist by the deadline. */
  noOrder: number;
  failed: number;
  /** From the admitted answer to the order existing, as the buyer saw it (ms). */
  orderWaitMs: number[];
}

/**
 * Behaves like admitted buyers: each polls its attempt until the order exists, then pays the
 * sale price (an order of one unit) at the payment provider (the simulator under
 * /api/sim/payment), which notifies the order API.
 */
export async function payAdmittedOrders(input: { url: string; saleId: string; token: string; priceCents: number; attempts: AdmittedAttempt[]; deadlineMs: number }): Promise<PaidSaleOrders> {
  const payment = createPaymentClient({ name: 'payment', baseUrl: `${input.url}/api/sim/payment`, timeoutMs: 10_000 });
  const result: PaidSaleOrders = { paid: 0, noOrder: 0, failed: 0, orderWaitMs: [] };
  await Promise.all(
    input.attempts.map(async (attempt) => {
      const started = performance.now();
      let order: { orderId: string; amountCents: number } | null = null;
      while (!order && Date.now() < input.deadlineMs) {
        const response = await fetch(`${input.url}/api/sales/${encodeURIComponent(input.saleId)}/attempts/${encodeURIComponent(attempt.attemptId)}`, {
          headers: { authorization: `Bearer ${input.token}` },
          signal: AbortSignal.timeout(10_000),
        }).catch(() => null);
        const state = response?.ok ? attemptState.safeParse(await response.json()) : null;
        if (response && !response.ok) await response.body?.cancel();
        if (state?.success && state.data.orderId) order = { orderId: state.data.orderId, amountCents: input.priceCents };
        else await new Promise((resolve) => setTimeout(resolve, 250));
      }
      if (!order) {
        result.noOrder++;
        return;
      }
      result.orderWaitMs.push(performance.now() - started);
      try {
        await payment.createPayment({ ...order, notifyUrl: `${input.url}/api/payments/notify` }, `load-sale:${order.orderId}`);
        result.paid++;
      } catch {
        result.failed++;
      }
    }),
  );
  result.orderWaitMs.sort((a, b) => a - b);
  return result;
}
