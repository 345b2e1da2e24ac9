import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { startControlledPostgres, type ControlledPostgres } from '@/db/controlled-postgres';
import { freePort } from '@/db/embedded';
import { demoAccount, signIn } from './support/console';

/**
 * The console on a database of its own that this journey stops and starts again: a second
 * server on the build the suite already made, so the other journeys keep their database.
 */
const DATA_DIR = path.resolve('.data/e2e-restart-postgres');

let postgres: ControlledPostgres;
let console_: ChildProcess;
let baseURL: string;

test.describe.configure({ timeout: 180_000 });

test.beforeAll(async () => {
  rmSync(DATA_DIR, { recursive: true, force: true });
  postgres = await startControlledPostgres({ dataDir: DATA_DIR, databases: ['conveyor'] });
  const port = await freePort();
  baseURL = `http://localhost:${port}`;
  console_ = spawn('npx', ['tsx', 'server/cli/start.ts', 'start', '--port', String(port), '--order-api-port', String(await freePort())], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, DATABASE_URL: postgres.url('conveyor'), SKIP_BUILD: 'true', DEMO: 'true', DEMO_ORDERS_PER_MINUTE: '0', LOGIN_ATTEMPTS_PER_MINUTE: '1000' },
  });
  await expect
    .poll(async () => (await fetch(`${baseURL}/api/health`).catch(() => null))?.status ?? 0, { timeout: 120_000, message: 'the second console answers its health check' })
    .toBe(200);
});

test.afterAll(async () => {
  // Only a console still running is stopped: waiting for the exit of one that already ended would hang.
  if (console_?.pid && console_.exitCode === null && console_.signalCode === null) {
    const exited = new Promise((resolve) => console_.once('exit', resolve));
    process.kill(-console_.pid, 'SIGTERM');
    await exited;
  }
  try {
    postgres?.stop('fast');
  } catch {
    // Already stopped: the journey failed while the database was down, and that failure is the report.
  }
});

test('a console screen opened while the database restarts says so, then comes back by itself', async ({ page }) => {
  const account = demoAccount('support');
  await signIn(page, 'support', baseURL);

  postgres.stop('immediate');
  await page.goto(`${baseURL}/orders`);
  const notice = page.getByTestId('database-unavailable');
  await expect(notice).toContainText('The database is not reachable');
  await expect(notice).toContainText('Try again in a minute');
  await expect(page.getByTestId('whoami')).toHaveCount(0);
  // The notice's own check reports what the health endpoint says.
  await notice.getByRole('button', { name: 'Check now' }).click();
  await expect(notice).toContainText('Last check at');
  await expect(notice).toContainText('Check that PostgreSQL is running');

  postgres.start();
  // No reload: the notice finds the database back and renders the screen.
  await expect(page.getByTestId('whoami')).toContainText(account.email, { timeout: 30_000 });
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Orders');
  await expect(notice).toHaveCount(0);
});
