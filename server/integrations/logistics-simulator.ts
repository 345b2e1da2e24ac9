import { eq } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { simWaybills } from '@/db/schema';
import type { Waybill } from './logistics-client';
import { json, matchPath, notFound, withFaults, type FaultOptions } from './simulator-http';

/** The carrier: answers tracking queries for waybills the WMS simulator booked on dispatch. */
export function createLogisticsSimulator(options: FaultOptions & { db: Executor }) {
  const { db } = options;
  async function route(request: Request, path: string): Promise<Response> {
    const waybill = matchPath('/waybills/:trackingNumber', path);
    if (request.method === 'GET' && waybill) {
      const [found] = await db.select().from(simWaybills).where(eq(simWaybills.trackingNumber, waybill.trackingNumber!));
      if (!found) return notFound(`no waybill ${waybill.trackingNumber}`);
      const view: Waybill = { trackingNumber: found.trackingNumber, carrier: found.carrier, shipmentId: found.shipmentId, status: 'IN_TRANSIT' };
      return json(200, view);
    }
    return notFound(`no logistics route ${request.method} ${path}`);
  }
  return { handle: (request: Request, path: string) => withFaults(db, 'logistics', options, () => route(request, path)) };
}
