import { paymentWebhookSecrets, signedHeaders } from '@/server/integrations/webhook-signature';
import { percentile } from './bench-processes';
import { startAtFixedRate } from './fixed-rate';
import { keepAliveClient } from './keep-alive-client';

export interface CheckoutTrafficJob {
  url: string;
  token: string;
  /** Checkouts per second, and as many payment notifications per second. */
  rate: number;
  durationSeconds: number;
  /** Unpaid orders the notifications pay, one each (rate × duration of them). */
  pendingOrders: { orderId: string; amountCents: number }[];
  /** Prefix of the customers who check out, unique per phase. */
  customerPrefix: string;
}

export interface CheckoutTrafficResult {
  checkoutP99: number;
  notifyP99: number;
  checkoutOk: number;
  notifyOk: number;
  sent: number;
  errors: Record<string, number>;
}

/**
 * Normal shopping beside a sale: checkouts (POST /api/orders) and the payment provider's
 * signed notifications for unpaid orders, each open-loop at `rate`, timed by the client.
 */
export async function runCheckoutTraffic(job: CheckoutTrafficJob, onSecond?: (line: string) => void): Promise<CheckoutTrafficResult> {
  const client = keepAliveClient(job.url, { timeoutMs: 30_000, maxConnections: 200 });
  const total = Math.min(job.pendingOrders.length, Math.round(job.rate * job.durationSeconds));
  const secrets = paymentWebhookSecrets();
  const storefront = { 'content-type': 'application/json', authorization: `Bearer ${job.token}` };
  const checkouts = Array.from({ length: total }, (_, index) =>
    client.prepare('/api/orders', storefront, JSON.stringify({ userId: `${job.customerPrefix}${index}`, items: [{ sku: 'SKU-MUG', quantity: 1 }] })),
  );
  const notifications = job.pendingOrders.slice(0, total).map((order) => {
    const body = JSON.stringify({ type: 'payment.succeeded', paymentId: `pay_${order.orderId}`, orderId: order.orderId, amountCents: order.amountCents, paidAt: new Date().toISOString() });
    return client.prepare('/api/payments/notify', signedHeaders(secrets, body), body);
  });
  const checkoutMs: number[] = [];
  const notifyMs: number[] = [];
  const errors: Record<string, number> = {};
  let checkoutOk = 0;
  let notifyOk = 0;
  // Per second of sending: each request's time, so a stall shows when it began, not only in the p99.
  const started = performance.now();
  const bySecond: { checkout: number[]; notify: number[] }[] = [];
  const timed = async (request: Buffer, expected: number, into: number[], name: 'checkout' | 'notify') => {
    const sentAt = performance.now();
    const second = Math.floor((sentAt - started) / 1_000);
    try {
      const status = await client.send(request);
      const ms = performance.now() - sentAt;
      into.push(ms);
      ((bySecond[second] ??= { checkout: [], notify: [] })[name]).push(ms);
      if (status === expected) return true;
      errors[`${name} http ${status}`] = (errors[`${name} http ${status}`] ?? 0) + 1;
    } catch (error) {
      const kind = `${name} ${error instanceof Error ? error.name : 'error'}`;
      errors[kind] = (errors[kind] ?? 0) + 1;
    }
    return false;
  };
  await Promise.all([
    startAtFixedRate(job.rate, total, async (index) => {
      if (await timed(checkouts[index]!, 201, checkoutMs, 'checkout')) checkoutOk++;
    }),
    startAtFixedRate(job.rate, total, async (index) => {
      if (await timed(notifications[index]!, 200, notifyMs, 'notify')) notifyOk++;
    }),
  ]);
  if (onSecond) {
    const p99 = (values: number[] = []) => (values.length ? percentile([...values].sort((a, b) => a - b), 99).toFixed(0) : '—');
    bySecond.forEach((tally, second) =>
      onSecond(`[${String(second + 1).padStart(3)}s] checkout ${String(tally?.checkout.length ?? 0).padStart(4)} answered, p99 ${p99(tally?.checkout)} ms; notification ${String(tally?.notify.length ?? 0).padStart(4)}, p99 ${p99(tally?.notify)} ms (by second sent)`),
    );
  }
  checkoutMs.sort((a, b) => a - b);
  notifyMs.sort((a, b) => a - b);
  return { checkoutP99: percentile(checkoutMs, 99), notifyP99: percentile(notifyMs, 99), checkoutOk, notifyOk, sent: total, errors };
}
