/**
 * The order system alone on node:http (no Next.js): storefront, payment notify, WMS
 * callback, the third-party simulators and their deliveries, and a pipeline member on
 * DATABASE_URL (else the embedded database). `npm run chaos` runs it as the app process,
 * beside `npm run worker` processes. PORT fixes the port; RELAY=off keeps this process
 * out of the relay election. Prints `{"url": …}` once serving. SIGTERM stops it.
 */
import { closeDatabase, createDatabase } from '@/db/client';
import { provideDatabase } from '@/db/provide-database';
import { startOrderSystem } from '@/server/consumers/start-order-system';

const database = await provideDatabase({ quiet: true });
const db = createDatabase(database.url, { max: 20, applicationName: process.env.CONVEYOR_APPLICATION_NAME ?? 'conveyor-order-system' });
const system = await startOrderSystem({
  db,
  url: database.url,
  port: process.env.PORT ? Number(process.env.PORT) : undefined,
  pipeline: { relay: process.env.RELAY !== 'off' },
});
console.log(JSON.stringify({ url: system.url }));

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await system.stop();
  await closeDatabase(db);
  await database.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
