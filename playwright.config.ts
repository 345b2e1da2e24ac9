import { defineConfig } from '@playwright/test';
import { e2eStorefrontToken } from './e2e/support/storefront-token';

const port = Number(process.env.E2E_PORT ?? 3100);
const orderApiPort = Number(process.env.E2E_ORDER_API_PORT ?? 3101);

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: `http://localhost:${port}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // Without these Chromium reaches for Google's hosts, which this network refuses.
      args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-sandbox'],
    },
  },
  webServer: {
    // The console, the order API and a worker, as `npm start` runs them for a user.
    command: `npm start -- --port ${port} --order-api-port ${orderApiPort}`,
    url: `http://localhost:${port}/api/health`,
    timeout: 600_000,
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
    env: {
      // Its own embedded database, so journeys never touch the data of `npm start`.
      EMBEDDED_PG_DIR: '.data/e2e-postgres',
      DEMO: 'true',
      // Registered by the demo order API so the journeys' storefront calls are authorized.
      STOREFRONT_TOKEN: e2eStorefrontToken,
      // Journeys sign in many times from one address.
      LOGIN_ATTEMPTS_PER_MINUTE: '1000',
      // Journeys make their own orders and set third-party faults; background customers would blur what they assert.
      DEMO_ORDERS_PER_MINUTE: '0',
      // SMS deliveries give up after a few quick attempts, so a journey sees them reach dead letters.
      NOTIFICATIONS_MAX_ATTEMPTS: '3',
      NOTIFICATIONS_RETRY_MAX_MS: '500',
      // The flash-sale journey runs `npm run load:sale` from this machine's one address: unthrottled, it sells out in a second.
      SALE_ATTEMPTS_PER_ADDRESS_PER_SECOND: '0',
    },
  },
});
