import { createDatabase, type Database, type Executor } from '@/db/client';
import { orderApiUrl } from './integration-client';
import { createLogisticsSimulator } from './logistics-simulator';
import { createPaymentSimulator } from './payment-simulator';
import type { FetchHandler } from '@/server/http/serve-http';
import { notFound } from './simulator-http';
import { createSmsSimulator } from './sms-simulator';
import { paymentWebhookSecrets, wmsWebhookSecrets } from './webhook-signature';
import { SIMULATOR_NAMES, type SimulatorName } from '@/shared/simulators';
import { createWmsSimulator } from './wms-simulator';

export interface SimulatorOptions {
  db: Executor;
  /** Where the simulators are mounted; the order API serves them under /api/sim. */
  prefix?: string;
  hangMs?: number;
  settingsMaxAgeMs?: number;
  wmsDispatchDelayMs?: number;
  /** Redelivery schedule of payment notifications and WMS callbacks. */
  redeliveryBackoff?: { baseMs: number; maxMs: number };
  /** How long after the first attempt redelivery gives up; default three days, as Stripe does. */
  redeliveryGivesUpAfterMs?: number;
  callbackTimeoutMs?: number;
  /** The origins the simulators send notifications and callbacks to, and refuse any other: the order API's own. */
  merchantOrigins: () => readonly string[];
  /** The simulators served; the others answer 404 and deliver nothing (their *_URL names the real third party). Default all. */
  serve?: readonly SimulatorName[];
}

export const DEFAULT_REDELIVERY_GIVES_UP_AFTER_MS = 3 * 24 * 60 * 60 * 1000;

export interface SimulatorsHandle {
  stop(): Promise<void>;
}

/**
 * The four third-party simulators behind one request handler, routed by path:
 * `${prefix}/payment/...`, `/wms/...`, `/logistics/...`, `/sms/...`. `deliverDue` runs
 * what the third parties do on their own (notification redelivery, dispatch, callbacks);
 * `start` does it on a timer. Several processes may run it: rows are claimed, not shared.
 */
export function createSimulators(options: SimulatorOptions) {
  const prefix = options.prefix ?? '/api/sim';
  const shared = { db: options.db, hangMs: options.hangMs ?? Number(process.env.SIM_HANG_MS ?? 10_000), settingsMaxAgeMs: options.settingsMaxAgeMs };
  const redelivery = {
    ...(options.redeliveryBackoff ?? { baseMs: 1_000, maxMs: 60_000 }),
    giveUpAfterMs: options.redeliveryGivesUpAfterMs ?? DEFAULT_REDELIVERY_GIVES_UP_AFTER_MS,
  };
  const callbackTimeoutMs = options.callbackTimeoutMs ?? 5_000;
  const { merchantOrigins } = options;
  const served = new Set<SimulatorName>(options.serve ?? SIMULATOR_NAMES);

  const payment = createPaymentSimulator({ ...shared, secrets: paymentWebhookSecrets(), notifyRedelivery: redelivery, notifyTimeoutMs: callbackTimeoutMs, merchantOrigins });
  const wms = createWmsSimulator({
    ...shared,
    secrets: wmsWebhookSecrets(),
    dispatchDelayMs: options.wmsDispatchDelayMs ?? Number(process.env.SIM_WMS_DISPATCH_DELAY_MS ?? 2_000),
    callbackRedelivery: redelivery,
    callbackTimeoutMs,
    merchantOrigins,
  });
  const simulators: Record<SimulatorName, { handle(request: Request, path: string): Promise<Response> }> = {
    payment,
    wms,
    logistics: createLogisticsSimulator(shared),
    sms: createSmsSimulator(shared),
  };

  const handler: FetchHandler = async (request) => {
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith(`${prefix}/`)) return notFound(`not a simulator path: ${pathname}`);
    const [name, ...rest] = pathname.slice(prefix.length + 1).split('/');
    if (!isSimulatorName(name)) return notFound(`no simulator named ${name}`);
    if (!served.has(name)) return notFound(`the ${name} simulator is not served here: this deployment is configured with the real ${name} third party`);
    return simulators[name].handle(request, `/${rest.join('/')}`);
  };

  async function deliverDue(): Promise<number> {
    const dispatched = served.has('wms') ? await wms.dispatchDueShipments() : 0;
    const [notifications, callbacks] = await Promise.all([
      served.has('payment') ? payment.deliverDueNotifications() : 0,
      served.has('wms') ? wms.deliverDueCallbacks() : 0,
    ]);
    return dispatched + notifications + callbacks;
  }

  function start(intervalMs = 250): SimulatorsHandle {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<unknown> = Promise.resolve();
    const tick = () => {
      running = deliverDue()
        .catch((error: unknown) => console.error('[simulators] background delivery failed:', error))
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, intervalMs);
        });
    };
    tick();
    return {
      async stop() {
        stopped = true;
        clearTimeout(timer);
        await running;
      },
    };
  }

  return { handler, deliverDue, start, served: [...served] };
}
export type Simulators = ReturnType<typeof createSimulators>;

function isSimulatorName(name: string | undefined): name is SimulatorName {
  return (SIMULATOR_NAMES as readonly (string | undefined)[]).includes(name);
}

const globalForSimulators = globalThis as unknown as { conveyorSimulators?: Simulators };

/**
 * The simulators need a connection pool of their own. They stand in for remote systems, and
 * our consumers call them while holding a transaction: on a shared pool, enough consumers
 * waiting on a simulator would hold every connection the simulator needs to answer them.
 */
export function simulatorDatabase(url: string): Database {
  return createDatabase(url, { max: Number(process.env.SIMULATOR_POOL_SIZE ?? 5), applicationName: 'conveyor-simulators' });
}

/** The app's simulators (kept on globalThis across dev reloads). */
export function getSimulators(): Simulators {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: the simulators run in the app, started by `npm start` or `npm run dev`.');
  return (globalForSimulators.conveyorSimulators ??= createSimulators({ db: simulatorDatabase(url), merchantOrigins: () => [orderApiUrl()] }));
}
