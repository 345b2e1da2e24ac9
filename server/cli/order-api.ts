/**
 * npm run order-api: the order system's public HTTP surface (storefront, payment notifications,
 * warehouse callbacks, the data feed, health, metrics) on node:http, on DATABASE_URL or the
 * embedded PostgreSQL under .data/ (adopted when already running). In demo mode, or with
 * SIMULATORS=on, it also serves the third-party simulators under /api/sim. Prints
 * `{"orderApi": url}` once serving. SIGTERM/SIGINT stop it.
 */
import { closeDatabase, createDatabase } from '@/db/client';
import { retryWhileDatabaseUnavailable } from '@/db/database-unavailable';
import { provideDatabase } from '@/db/provide-database';
import { startOrderApi } from '@/server/runtime/order-api';
import { startingProcess, stopOnSignals } from '@/server/runtime/process-lifecycle';
import { checkDatabaseRole, checkWebhookSecrets } from '@/server/runtime/production-checks';
import { announceRunMode, runMode } from '@/server/runtime/run-mode';
import { booleanSetting, portSetting, wholeNumberSetting } from '@/server/runtime/settings';

await startingProcess('order-api', async () => {
  const port = portSetting('ORDER_API_PORT', 3001);
  const host = process.env.ORDER_API_HOST ?? '0.0.0.0';
  const poolSize = wholeNumberSetting('DATABASE_POOL_SIZE', 10, { min: 1 });
  const maxBodyBytes = wholeNumberSetting('MAX_BODY_BYTES', 1024 * 1024, { min: 1024 });
  const keepAliveTimeoutMs = wholeNumberSetting('KEEP_ALIVE_TIMEOUT_MS', 65_000, { min: 1 });
  const mode = runMode();
  announceRunMode('order-api', mode);
  if (!mode.demo) checkWebhookSecrets();
  const { demo } = mode;
  const database = await provideDatabase({ quiet: true });
  const simulators = booleanSetting('SIMULATORS', demo);
  const demoOrdersPerMinute = demo ? wholeNumberSetting('DEMO_ORDERS_PER_MINUTE', 20) : 0;

  const db = createDatabase(database.url, { max: poolSize, applicationName: process.env.CONVEYOR_APPLICATION_NAME ?? 'conveyor-order-api' });
  if (!demo) await retryWhileDatabaseUnavailable(() => checkDatabaseRole(db));
  const api = await startOrderApi({ db, databaseUrl: database.url, port, host, simulators: simulators ? {} : false, demoOrdersPerMinute, maxBodyBytes, keepAliveTimeoutMs });
  console.log(JSON.stringify({ orderApi: api.url, simulators, demo }));

  stopOnSignals(async () => {
    await api.stop();
    await closeDatabase(db);
    await database.stop();
  });
});
