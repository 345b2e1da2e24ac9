/**
 * npm run order-api: the order system's public HTTP surface (storefront, payment notifications,
 * warehouse callbacks, the data feed, health, metrics) on node:http, on DATABASE_URL or the
 * embedded PostgreSQL under .data/ (adopted when already running). In demo mode, or with
 * SIMULATORS=on, it also serves the third-party simulators under /api/sim, each one only
 * while its *_URL does not name the real third party. Prints
 * `{"orderApi": url, "simulators": [served], "demo": bool}` once serving. SIGTERM/SIGINT stop it.
 */
import { closeDatabase, createDatabase } from '@/db/client';
import { retryWhileDatabaseUnavailable } from '@/db/database-unavailable';
import { provideDatabase } from '@/db/provide-database';
import { DEFAULT_REDELIVERY_GIVES_UP_AFTER_MS } from '@/server/integrations/simulators';
import { paymentWebhookSecrets, wmsWebhookSecrets } from '@/server/integrations/webhook-signature';
import { orderApiSettings, saleDoorSettings, startOrderApi } from '@/server/runtime/order-api';
import { startingProcess, stopOnSignals } from '@/server/runtime/process-lifecycle';
import { startTracing } from '@/server/tracing/start-tracing';
import { checkDatabaseRole, checkWebhookSecrets } from '@/server/runtime/production-checks';
import { announceRunMode, runMode } from '@/server/runtime/run-mode';
import { booleanSetting, maxBodyBytesSetting, portSetting, SettingError, wholeNumberSetting } from '@/server/runtime/settings';

function demoStorefrontTokenSetting(): string | undefined {
  const token = process.env.STOREFRONT_TOKEN || undefined;
  if (token !== undefined && token.length < 24) throw new SettingError('STOREFRONT_TOKEN', 'STOREFRONT_TOKEN must have at least 24 characters, or be unset');
  return token;
}

await startingProcess('order-api', async () => {
  // First, so that every request and delivery runs with the SDK in place (when OTEL_EXPORTER_OTLP_ENDPOINT is set).
  const tracing = startTracing('conveyor-order-api');
  const port = portSetting('ORDER_API_PORT', 3001);
  const host = process.env.ORDER_API_HOST ?? '0.0.0.0';
  const poolSize = wholeNumberSetting('DATABASE_POOL_SIZE', 10, { min: 1 });
  const maxBodyBytes = maxBodyBytesSetting();
  const keepAliveTimeoutMs = wholeNumberSetting('KEEP_ALIVE_TIMEOUT_MS', 65_000, { min: 1 });
  const mode = runMode();
  announceRunMode('order-api', mode);
  if (!mode.demo) checkWebhookSecrets();
  // Read per request later; read here so that a malformed secret stops the start, not the first callback.
  paymentWebhookSecrets();
  wmsWebhookSecrets();
  const { demo } = mode;
  const routes = orderApiSettings();
  const sales = saleDoorSettings();
  const database = await provideDatabase({ quiet: true });
  const simulators = booleanSetting('SIMULATORS', demo);
  const demoOrdersPerMinute = demo ? wholeNumberSetting('DEMO_ORDERS_PER_MINUTE', 20) : 0;

  const db = createDatabase(database.url, { max: poolSize, applicationName: process.env.CONVEYOR_APPLICATION_NAME ?? 'conveyor-order-api' });
  if (!demo) await retryWhileDatabaseUnavailable(() => checkDatabaseRole(db));
  const redeliveryGivesUpAfterMs = wholeNumberSetting('SIM_REDELIVERY_GIVE_UP_MS', DEFAULT_REDELIVERY_GIVES_UP_AFTER_MS);
  const api = await startOrderApi({
    db,
    databaseUrl: database.url,
    port,
    host,
    simulators: simulators ? { redeliveryGivesUpAfterMs } : false,
    publicUrl: process.env.ORDER_API_URL,
    demoOrdersPerMinute,
    maxBodyBytes,
    keepAliveTimeoutMs,
    routes,
    sales,
    // Outside demo mode a storefront's token is made by an admin in the console, never taken from the environment.
    demoStorefrontToken: demo ? demoStorefrontTokenSetting() : undefined,
  });
  console.log(JSON.stringify({ orderApi: api.url, simulators: api.simulators?.served ?? [], demo }));

  stopOnSignals(async () => {
    await api.stop();
    await tracing?.shutdown();
    await closeDatabase(db);
    await database.stop();
  });
});
