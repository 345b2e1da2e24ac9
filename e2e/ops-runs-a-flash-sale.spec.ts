import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { orderApiURL, screenshot, signIn } from './support/console';
import { e2eStorefrontToken } from './support/storefront-token';

const UNITS = 200;
const PAYING_BUYERS = 10;

/** `npm run load:sale` against the journey's order API, as ops would run it from a terminal; resolves with its exit code and output. */
function runLoadSale(saleId: string): { done: Promise<{ code: number | null; output: string }> } {
  const child = spawn('npm', ['run', 'load:sale', '--', '--sale', saleId, '--url', orderApiURL, '--rate', '300', '--duration', '4', '--buyers', '5000', '--pay', String(PAYING_BUYERS), '--price-cents', '499', '--pay-wait', '60'], {
    env: { ...process.env, STOREFRONT_TOKEN: e2eStorefrontToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return { done: new Promise((resolve) => child.once('exit', (code) => resolve({ code, output }))) };
}

/** A datetime-local value for now, in the browser's time zone (the journey's and the browser's are the same machine's). */
function localInput(date: Date): string {
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

test('ops arms a flash sale, watches it sell out under load, ends it, and reconciliation finds the sale adds up', async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page, 'admin');
  await page.goto('/sales');
  await expect(page.getByRole('heading', { name: 'Sales', level: 1 })).toBeVisible();

  const name = `e2e flash sale ${Date.now().toString(36)}`;
  const form = page.getByRole('region', { name: 'Define a sale' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('SKU').fill('SKU-BOTTLE');
  await form.getByLabel('Units').fill(String(UNITS));
  await form.getByLabel('Sale price').fill('4.99');
  // Starts at once: the start field has minute precision, so this minute's start has already passed.
  await form.getByLabel('Starts').fill(localInput(new Date()));
  await form.getByLabel('Ends').fill(localInput(new Date(Date.now() + 60 * 60_000)));
  await form.getByLabel('Per-buyer limit').fill('1');

  // Above SALE_APPROVAL_UNITS (1,000) a sale waits for a second admin instead of being armed.
  await form.getByLabel('Units').fill('5000');
  await form.getByRole('button', { name: 'Arm sale…' }).click();
  const large = page.getByRole('dialog', { name: `Arm sale “${name}”` });
  await large.getByLabel('Reason (kept in the audit log)').fill('e2e: a sale too large for one person');
  await large.getByRole('button', { name: 'Arm sale' }).click();
  await expect(page.getByTestId('sale-waiting-for-approval')).toContainText(/Waiting for approval.*Request #\d+ is waiting on the Approvals page/);
  await expect(page).toHaveURL(/\/sales$/);

  await form.getByLabel('Units').fill(String(UNITS));
  await form.getByRole('button', { name: 'Arm sale…' }).click();
  const dialog = page.getByRole('dialog', { name: `Arm sale “${name}”` });
  await expect(dialog).toContainText(`${UNITS} units of SKU-BOTTLE`);
  await dialog.getByLabel('Reason (kept in the audit log)').fill('e2e: flash sale journey');
  await dialog.getByRole('button', { name: 'Arm sale' }).click();

  await expect(page).toHaveURL(/\/sales\/sale_/);
  const saleId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
  await expect(page.getByTestId('sale-state')).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  await expect(page.getByTestId('sale-units-left')).toContainText(String(UNITS));
  await screenshot(page, 'flash-sale-live');

  const load = runLoadSale(saleId);
  // The screen follows the load: units run out while the door answers the rest sold out.
  await expect(page.getByTestId('sale-units-left').locator('.tile-value')).toHaveText('0', { timeout: 60_000 });
  await expect(page.getByTestId('sale-sold-out')).toBeVisible();
  await expect(page.getByTestId('attempts-chart')).toBeVisible();
  const { code, output } = await load.done;
  expect(code, output).toBe(0);
  expect(output).toContain('retries answered differently from their first answer: 0');
  expect(output).toContain(`orders paid ${PAYING_BUYERS}`);

  // Every admitted attempt became an order; the paying buyers' units are sold, the rest reserved.
  await expect(page.getByTestId('sale-order-lag').locator('.tile-value')).toHaveText('0', { timeout: 60_000 });
  await expect(page.getByTestId('sale-units-sold').locator('.tile-value')).toHaveText(String(PAYING_BUYERS), { timeout: 60_000 });
  await expect(page.getByTestId('sale-units-reserved').locator('.tile-value')).toHaveText(String(UNITS - PAYING_BUYERS));
  await expect(page.getByTestId('sale-awaiting-payment').locator('.tile-value')).toHaveText(String(UNITS - PAYING_BUYERS));
  await screenshot(page, 'flash-sale-sold-out');

  // Ops ends the sold-out sale (confirmed, with a reason): attempts are then answered not live.
  await page.getByRole('button', { name: 'End sale…' }).click();
  const end = page.getByRole('dialog', { name: 'End the sale' });
  await expect(end).toContainText('This cannot be undone');
  await end.getByLabel('Reason (kept in the audit log)').fill('e2e: sold out, closing the sale');
  await end.getByRole('button', { name: 'End the sale' }).click();
  await expect(page.getByTestId('sale-state')).toHaveText('ended: ended by hand');
  await expect(page.getByTestId('sale-controls')).toHaveCount(0);

  await page.goto('/reconciliation');
  await page.getByRole('button', { name: 'Run now' }).click();
  const run = page.getByRole('dialog');
  await run.getByLabel('Reason (kept in the audit log)').fill('e2e: check the flash sale');
  await run.getByRole('button', { name: 'Run now' }).click();
  const notice = page.getByTestId('reconciliation-notice');
  await expect(notice).toContainText(/Run \d+ checked \d+ orders/, { timeout: 60_000 });
  const runId = /Run (\d+)/.exec((await notice.textContent())!)![1]!;
  // The run checks every sale against its ledger (left + reserved + sold + returned to stock = armed,
  // no buyer over the limit) and finds no sale difference. (Orders paid a moment ago may show
  // shipments still in flight: a manual run does not wait for them to settle.)
  const runRow = page.getByTestId('reconciliation-runs').locator('tr', { hasText: `#${runId}` });
  await expect(runRow).toContainText('admin@conveyor.demo');
  await expect(runRow).not.toContainText(/sale_units_mismatch|sale_buyer_over_limit/);
  await screenshot(page, 'flash-sale-reconciled');
});
