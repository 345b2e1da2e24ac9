import { randomUUID } from 'node:crypto';
import { asc, eq, inArray, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '@/db/client';
import { simPayments, simRefunds } from '@/db/schema';
import type { ProviderPayment, ProviderRefund } from './payment-client';
import { badRequest, isMerchantUrl, json, matchPath, merchantUrlRefused, notFound, readJson, redeliveryAfter, withFaults, type FaultOptions } from './simulator-http';
import { simulatorGiveUps } from './simulator-given-up';
import type { FaultSettings } from './simulator-settings';
import { signedHeaders } from './webhook-signature';

type SimPayment = typeof simPayments.$inferSelect;

export interface PaymentSimulatorOptions extends FaultOptions {
  db: Executor;
  /** Shared with the merchant; every notification carries a signature by each. */
  secrets: readonly string[];
  /** Redelivery schedule: base × 2^(attempt − 1), capped; given up once the next attempt would fall later than giveUpAfterMs after the payment. */
  notifyRedelivery: { baseMs: number; maxMs: number; giveUpAfterMs: number };
  notifyTimeoutMs: number;
  /** The only origins notifications are sent to: the order API's own. */
  merchantOrigins: () => readonly string[];
}

const createPaymentBody = z.object({ orderId: z.string().min(1), amountCents: z.number().int().positive(), notifyUrl: z.url() });
const refundBody = z.object({ refundId: z.string().min(1), paymentId: z.string().min(1), amountCents: z.number().int().positive() });

/** A claimed delivery keeps others away for this long; if the sender dies, the notification is redelivered after it. */
const DELIVERY_LEASE = sql`now() + interval '30 seconds'`;

function paymentView(payment: SimPayment): ProviderPayment {
  return {
    paymentId: payment.id,
    orderId: payment.orderId,
    amountCents: payment.amountCents,
    refundedCents: payment.refundedCents,
    status: 'SUCCEEDED',
    notifiedAt: payment.notifiedAt?.toISOString() ?? null,
  };
}

function refundView(refund: typeof simRefunds.$inferSelect): ProviderRefund {
  return { refundId: refund.id, paymentId: refund.paymentId, amountCents: refund.amountCents, status: 'SUCCEEDED' };
}

/**
 * The payment provider. Taking a payment succeeds at once (the customer paid); the provider
 * then notifies the merchant, signed, and redelivers with backoff until it gets a 2xx, as
 * real providers do. Refunds are idempotent by refund id and never exceed the payment.
 */
export function createPaymentSimulator(options: PaymentSimulatorOptions) {
  const { db } = options;

  async function sendNotification(payment: SimPayment) {
    const body = JSON.stringify({
      type: 'payment.succeeded',
      paymentId: payment.id,
      orderId: payment.orderId,
      amountCents: payment.amountCents,
      paidAt: payment.createdAt.toISOString(),
    });
    const started = performance.now();
    try {
      const response = await fetch(payment.notifyUrl, {
        method: 'POST',
        // One message however often it is redelivered: the merchant deduplicates by its id.
        headers: signedHeaders(options.secrets, body, { id: `msg_${payment.id}` }),
        body,
        signal: AbortSignal.timeout(options.notifyTimeoutMs),
      });
      const text = await response.text();
      return { delivered: response.ok, status: response.status, latencyMs: performance.now() - started, error: response.ok ? null : `HTTP ${response.status}: ${text.slice(0, 200)}` };
    } catch (error) {
      return { delivered: false, status: null, latencyMs: performance.now() - started, error: error instanceof Error ? error.message : String(error) };
    }
  }

  async function recordDelivery(payment: SimPayment, result: Awaited<ReturnType<typeof sendNotification>>) {
    if (result.delivered) {
      await db
        .update(simPayments)
        .set({ nextNotifyAt: null, notifiedAt: sql`coalesce(${simPayments.notifiedAt}, now())`, lastNotifyError: null, notifyGivenUpAt: null })
        .where(eq(simPayments.id, payment.id));
      return;
    }
    const { nextAttemptAt, givenUpAt } = redeliveryAfter(payment.notifyAttempts, options.notifyRedelivery, simPayments.createdAt);
    await db.update(simPayments).set({ nextNotifyAt: nextAttemptAt, notifyGivenUpAt: givenUpAt, lastNotifyError: result.error }).where(eq(simPayments.id, payment.id));
  }

  /** Claims due notifications (skipping ones another process holds), delivers them, and schedules the failures again. */
  async function deliverDueNotifications(limit = 50): Promise<number> {
    const due = db
      .select({ id: simPayments.id })
      .from(simPayments)
      .where(lte(simPayments.nextNotifyAt, sql`now()`))
      .orderBy(asc(simPayments.nextNotifyAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    const claimed = await db
      .update(simPayments)
      .set({ notifyAttempts: sql`${simPayments.notifyAttempts} + 1`, nextNotifyAt: DELIVERY_LEASE })
      .where(inArray(simPayments.id, due))
      .returning();
    await Promise.all(claimed.map(async (payment) => recordDelivery(payment, await sendNotification(payment))));
    return claimed.length;
  }

  async function createPayment(request: Request): Promise<Response> {
    const idempotencyKey = request.headers.get('idempotency-key');
    if (!idempotencyKey) return badRequest('Idempotency-Key header is required');
    const parsed = createPaymentBody.safeParse(await readJson(request));
    if (!parsed.success) return badRequest(z.prettifyError(parsed.error));
    if (!isMerchantUrl(parsed.data.notifyUrl, options.merchantOrigins())) return merchantUrlRefused('notifyUrl', options.merchantOrigins());

    const [created] = await db
      .insert(simPayments)
      .values({ id: `pay_${randomUUID()}`, idempotencyKey, ...parsed.data, nextNotifyAt: DELIVERY_LEASE, notifyAttempts: 1 })
      .onConflictDoNothing({ target: simPayments.idempotencyKey })
      .returning();
    if (!created) {
      const [existing] = await db.select().from(simPayments).where(eq(simPayments.idempotencyKey, idempotencyKey));
      return json(200, { ...paymentView(existing!), notification: null });
    }
    // First delivery before answering, like a checkout page that waits for the merchant; later ones run in the background.
    const delivery = await sendNotification(created);
    await recordDelivery(created, delivery);
    return json(201, { ...paymentView(created), notification: { delivered: delivery.delivered, status: delivery.status, latencyMs: delivery.latencyMs } });
  }

  async function refund(request: Request, settings: FaultSettings): Promise<Response> {
    const parsed = refundBody.safeParse(await readJson(request));
    if (!parsed.success) return badRequest(z.prettifyError(parsed.error));
    const { refundId, paymentId, amountCents } = parsed.data;
    const [existing] = await db.select().from(simRefunds).where(eq(simRefunds.id, refundId));
    if (existing) return json(200, refundView(existing));
    if (Math.random() < settings.rejectRate) return json(422, { error: 'refund_rejected', message: 'simulated refund rejection by the provider' });

    return db.transaction(async (tx) => {
      const [payment] = await tx.select().from(simPayments).where(eq(simPayments.id, paymentId)).for('update');
      if (!payment) return notFound(`payment ${paymentId} does not exist`);
      const [raced] = await tx.select().from(simRefunds).where(eq(simRefunds.id, refundId));
      if (raced) return json(200, refundView(raced));
      if (payment.refundedCents + amountCents > payment.amountCents) {
        return json(422, { error: 'refund_exceeds_payment', message: `payment ${paymentId} has ${payment.amountCents - payment.refundedCents} cents left to refund` });
      }
      const [created] = await tx.insert(simRefunds).values({ id: refundId, paymentId, amountCents }).returning();
      await tx.update(simPayments).set({ refundedCents: payment.refundedCents + amountCents }).where(eq(simPayments.id, paymentId));
      return json(201, refundView(created!));
    });
  }

  async function route(request: Request, path: string, settings: FaultSettings): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === 'POST' && path === '/payments') return createPayment(request);
    if (request.method === 'GET' && path === '/payments') {
      const orderId = url.searchParams.get('orderId');
      if (!orderId) return badRequest('orderId query parameter is required');
      return json(200, (await db.select().from(simPayments).where(eq(simPayments.orderId, orderId))).map(paymentView));
    }
    const payment = matchPath('/payments/:id', path);
    if (request.method === 'GET' && payment) {
      const [found] = await db.select().from(simPayments).where(eq(simPayments.id, payment.id!));
      return found ? json(200, paymentView(found)) : notFound(`payment ${payment.id} does not exist`);
    }
    const resend = matchPath('/payments/:id/notifications', path);
    if (request.method === 'POST' && resend) {
      // An extra copy of the notification, whatever the schedule says: how tests and operators provoke duplicates.
      const [found] = await db.select().from(simPayments).where(eq(simPayments.id, resend.id!));
      if (!found) return notFound(`payment ${resend.id} does not exist`);
      const delivery = await sendNotification(found);
      if (delivery.delivered) await recordDelivery(found, delivery);
      return json(200, { delivered: delivery.delivered, status: delivery.status, latencyMs: delivery.latencyMs });
    }
    if (request.method === 'GET' && path === '/notifications/given-up') {
      // What redelivery stopped on: each payment whose merchant never acknowledged it, with the last error.
      const { notifications } = await simulatorGiveUps(db);
      return json(200, notifications.map((found) => ({ ...found, givenUpAt: found.givenUpAt.toISOString() })));
    }
    if (request.method === 'POST' && path === '/refunds') return refund(request, settings);
    const refundPath = matchPath('/refunds/:id', path);
    if (request.method === 'GET' && refundPath) {
      const [found] = await db.select().from(simRefunds).where(eq(simRefunds.id, refundPath.id!));
      return found ? json(200, refundView(found)) : notFound(`refund ${refundPath.id} does not exist`);
    }
    return notFound(`no payment provider route ${request.method} ${path}`);
  }

  return {
    handle: (request: Request, path: string) => withFaults(db, 'payment', options, (settings) => route(request, path, settings)),
    deliverDueNotifications,
  };
}
