import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '@/db/client';
import { simShipments, simWaybills } from '@/db/schema';
import { badRequest, isMerchantUrl, json, matchPath, merchantUrlRefused, notFound, readJson, redeliveryAfter, withFaults, type FaultOptions } from './simulator-http';
import { simulatorGiveUps } from './simulator-given-up';
import type { FaultSettings } from './simulator-settings';
import type { WmsDispatchCallback, WmsShipment } from './wms-client';
import { signedHeaders } from './webhook-signature';

type SimShipment = typeof simShipments.$inferSelect;

export interface WmsSimulatorOptions extends FaultOptions {
  db: Executor;
  /** Shared with the merchant; every dispatch callback carries a signature by each. */
  secrets: readonly string[];
  /** How long after acceptance a shipment leaves the warehouse. */
  dispatchDelayMs: number;
  /** Redelivery schedule: base × 2^(attempt − 1), capped; given up once the next attempt would fall later than giveUpAfterMs after dispatch. */
  callbackRedelivery: { baseMs: number; maxMs: number; giveUpAfterMs: number };
  callbackTimeoutMs: number;
  /** The only origins callbacks are sent to: the order API's own. */
  merchantOrigins: () => readonly string[];
}

const createShipmentBody = z.object({
  orderId: z.string().min(1),
  items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
  callbackUrl: z.url(),
});

const CARRIERS = ['SF Express', 'DHL', 'UPS'] as const;
const CALLBACK_LEASE = sql`now() + interval '30 seconds'`;

function shipmentView(shipment: SimShipment): WmsShipment {
  return { shipmentId: shipment.id, orderId: shipment.orderId, status: shipment.status, carrier: shipment.carrier, trackingNumber: shipment.trackingNumber };
}

/**
 * The warehouse. A shipment is keyed by order id, so a push repeated after a lost response
 * returns the first shipment instead of creating another. Accepted shipments are dispatched
 * after a delay (a waybill is booked with the carrier) and the merchant is called back,
 * signed, with backoff until it answers 2xx.
 */
export function createWmsSimulator(options: WmsSimulatorOptions) {
  const { db } = options;

  async function createShipment(request: Request, settings: FaultSettings): Promise<Response> {
    const parsed = createShipmentBody.safeParse(await readJson(request));
    if (!parsed.success) return badRequest(z.prettifyError(parsed.error));
    const { orderId, items, callbackUrl } = parsed.data;
    if (!isMerchantUrl(callbackUrl, options.merchantOrigins())) return merchantUrlRefused('callbackUrl', options.merchantOrigins());

    const [known] = await db.select({ orderId: simShipments.orderId }).from(simShipments).where(eq(simShipments.orderId, orderId));
    if (!known && Math.random() < settings.rejectRate) {
      return json(422, { error: 'shipment_rejected', message: 'simulated rejection: delivery address not serviceable' });
    }
    const [shipment] = await db
      .insert(simShipments)
      .values({
        orderId,
        id: `shp_${randomUUID()}`,
        status: 'ACCEPTED',
        items: JSON.stringify(items),
        callbackUrl,
        dispatchAt: sql`now() + make_interval(secs => ${options.dispatchDelayMs / 1000})`,
      })
      .onConflictDoUpdate({ target: simShipments.orderId, set: { pushes: sql`${simShipments.pushes} + 1` } })
      .returning();
    return json(shipment!.pushes === 1 ? 201 : 200, shipmentView(shipment!));
  }

  async function cancelShipment(orderId: string): Promise<Response> {
    return db.transaction(async (tx) => {
      const [shipment] = await tx.select().from(simShipments).where(eq(simShipments.orderId, orderId)).for('update');
      if (!shipment) return notFound(`no shipment for order ${orderId}`);
      if (shipment.status === 'DISPATCHED') return json(409, { error: 'already_dispatched', message: `shipment ${shipment.id} left the warehouse`, shipment: shipmentView(shipment) });
      const [cancelled] = await tx.update(simShipments).set({ status: 'CANCELLED', nextCallbackAt: null }).where(eq(simShipments.orderId, orderId)).returning();
      return json(200, shipmentView(cancelled!));
    });
  }

  /** Dispatches accepted shipments whose time has come, booking a waybill for each. */
  async function dispatchDueShipments(limit = 50): Promise<number> {
    const due = db
      .select({ orderId: simShipments.orderId })
      .from(simShipments)
      .where(and(eq(simShipments.status, 'ACCEPTED'), lte(simShipments.dispatchAt, sql`now()`)))
      .limit(limit)
      .for('update', { skipLocked: true });
    return db.transaction(async (tx) => {
      const dispatched = await tx
        .update(simShipments)
        .set({
          status: 'DISPATCHED',
          carrier: sql`(array[${sql.join(CARRIERS.map((carrier) => sql`${carrier}`), sql`, `)}])[1 + abs(hashtext(${simShipments.orderId})) % ${CARRIERS.length}]`,
          trackingNumber: sql`'TRK' || lpad((floor(random() * 1e12))::bigint::text, 12, '0')`,
          nextCallbackAt: sql`now()`,
        })
        .where(inArray(simShipments.orderId, due))
        .returning();
      if (dispatched.length > 0) {
        await tx.insert(simWaybills).values(dispatched.map((shipment) => ({ trackingNumber: shipment.trackingNumber!, carrier: shipment.carrier!, shipmentId: shipment.id })));
      }
      return dispatched.length;
    });
  }

  async function sendCallback(shipment: SimShipment) {
    const callback: WmsDispatchCallback = {
      type: 'shipment.dispatched',
      orderId: shipment.orderId,
      shipmentId: shipment.id,
      carrier: shipment.carrier!,
      trackingNumber: shipment.trackingNumber!,
      dispatchedAt: shipment.dispatchAt.toISOString(),
    };
    const body = JSON.stringify(callback);
    try {
      const response = await fetch(shipment.callbackUrl, { method: 'POST', headers: signedHeaders(options.secrets, body, { id: `msg_${shipment.id}_dispatched` }), body, signal: AbortSignal.timeout(options.callbackTimeoutMs) });
      const text = await response.text();
      return response.ok ? null : `HTTP ${response.status}: ${text.slice(0, 200)}`;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  async function deliverDueCallbacks(limit = 50): Promise<number> {
    const due = db
      .select({ orderId: simShipments.orderId })
      .from(simShipments)
      .where(lte(simShipments.nextCallbackAt, sql`now()`))
      .orderBy(asc(simShipments.nextCallbackAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    const claimed = await db
      .update(simShipments)
      .set({ callbackAttempts: sql`${simShipments.callbackAttempts} + 1`, nextCallbackAt: CALLBACK_LEASE })
      .where(inArray(simShipments.orderId, due))
      .returning();
    await Promise.all(
      claimed.map(async (shipment) => {
        const error = await sendCallback(shipment);
        const { nextAttemptAt, givenUpAt } = redeliveryAfter(shipment.callbackAttempts, options.callbackRedelivery, simShipments.dispatchAt);
        await db
          .update(simShipments)
          .set(error === null ? { nextCallbackAt: null, lastCallbackError: null } : { nextCallbackAt: nextAttemptAt, callbackGivenUpAt: givenUpAt, lastCallbackError: error })
          .where(and(eq(simShipments.orderId, shipment.orderId), eq(simShipments.status, 'DISPATCHED')));
      }),
    );
    return claimed.length;
  }

  async function route(request: Request, path: string, settings: FaultSettings): Promise<Response> {
    if (request.method === 'POST' && path === '/shipments') return createShipment(request, settings);
    if (request.method === 'GET' && path === '/callbacks/given-up') {
      // What redelivery stopped on: each dispatch the merchant never acknowledged, with the last error.
      const { callbacks } = await simulatorGiveUps(db);
      return json(200, callbacks.map((found) => ({ ...found, givenUpAt: found.givenUpAt.toISOString() })));
    }
    const cancel = matchPath('/shipments/:orderId/cancel', path);
    if (request.method === 'POST' && cancel) return cancelShipment(cancel.orderId!);
    const shipment = matchPath('/shipments/:orderId', path);
    if (request.method === 'GET' && shipment) {
      const [found] = await db.select().from(simShipments).where(eq(simShipments.orderId, shipment.orderId!));
      return found ? json(200, shipmentView(found)) : notFound(`no shipment for order ${shipment.orderId}`);
    }
    return notFound(`no WMS route ${request.method} ${path}`);
  }

  return {
    handle: (request: Request, path: string) => withFaults(db, 'wms', options, (settings) => route(request, path, settings)),
    dispatchDueShipments,
    deliverDueCallbacks,
  };
}
