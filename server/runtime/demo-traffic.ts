import { demoCatalog } from '@/server/orders/seed-catalog';

export interface DemoTrafficOptions {
  orderApiUrl: string;
  /** A token with the storefront scopes (orders:create, orders:refund). */
  storefrontToken: string;
  ordersPerMinute: number;
  /** Share of orders left unpaid, to be closed by their payment timeout. */
  unpaidRatio?: number;
  /** Share of paid orders whose customer asks for a refund a little later. */
  refundRatio?: number;
  log?: (line: string) => void;
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

/**
 * A trickle of customers for demo mode, so every screen has something moving: orders are
 * created on the storefront API and paid through the payment provider simulator, exactly as
 * real traffic arrives — nothing is written to the database directly.
 */
export function startDemoTraffic(options: DemoTrafficOptions): { stop(): void } {
  const { orderApiUrl, ordersPerMinute } = options;
  const unpaidRatio = options.unpaidRatio ?? 0.1;
  const refundRatio = options.refundRatio ?? 0.05;
  const timers = new Set<NodeJS.Timeout>();
  let failuresInRow = 0;
  const storefrontHeaders = { 'content-type': 'application/json', authorization: `Bearer ${options.storefrontToken}` };

  async function placeOrder() {
    // Distinct SKUs: the storefront refuses an order that lists one twice.
    const skus = [...new Set(Array.from({ length: 1 + Math.floor(Math.random() * 2) }, () => pick(demoCatalog)[0]))];
    const items = skus.map((sku) => ({ sku, quantity: 1 + Math.floor(Math.random() * 2) }));
    const userId = `demo-customer-${Math.floor(Math.random() * 200)}`;
    const created = await fetch(`${orderApiUrl}/api/orders`, { method: 'POST', headers: storefrontHeaders, body: JSON.stringify({ userId, items }) });
    if (!created.ok) throw new Error(`create order answered ${created.status}`);
    const order = (await created.json()) as { orderId: string; totalCents: number };
    if (Math.random() < unpaidRatio) return;
    const paid = await fetch(`${orderApiUrl}/api/sim/payment/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `demo-pay-${order.orderId}` },
      body: JSON.stringify({ orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${orderApiUrl}/api/payments/notify` }),
    });
    if (!paid.ok) throw new Error(`payment simulator answered ${paid.status}`);
    if (Math.random() < refundRatio) {
      later(20_000, () =>
        fetch(`${orderApiUrl}/api/orders/${encodeURIComponent(order.orderId)}/refund`, {
          method: 'POST',
          headers: storefrontHeaders,
          body: JSON.stringify({ userId, reason: 'Changed my mind (demo customer)' }),
        }),
      );
    }
  }

  function later(ms: number, action: () => Promise<unknown>) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action().then(
        () => (failuresInRow = 0),
        (error: unknown) => {
          // Failures are part of the demo (the simulators inject them); only say so once per streak.
          if (failuresInRow++ === 0) options.log?.(`demo traffic: ${(error as Error).message}`);
        },
      );
    }, ms);
    timers.add(timer);
  }

  const interval = setInterval(() => later(Math.random() * 1_000, placeOrder), 60_000 / ordersPerMinute);
  return {
    stop() {
      clearInterval(interval);
      for (const timer of timers) clearTimeout(timer);
    },
  };
}
