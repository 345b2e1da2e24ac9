import { expect, test, type APIRequestContext } from '@playwright/test';
import { confirmWithReason, healthySimulator, orderApiURL, payOrder, placeOrder, screenshot, setSimulator, signedInRequest, signIn, storefrontHeaders, uniqueUser, type SimulatorName } from './support/console';

/*
 * Journeys that break a third party on purpose. Simulator settings are global to the app,
 * so these run one after another, and each puts the simulators it touched back to healthy.
 */
test.describe.configure({ mode: 'serial' });

let admin: APIRequestContext;
const touched = new Set<SimulatorName>();

test.beforeAll(async ({ playwright, baseURL }) => {
  admin = await signedInRequest(playwright, baseURL!, 'admin');
});

test.afterEach(async () => {
  for (const simulator of touched) await setSimulator(admin, simulator, healthySimulator);
  touched.clear();
});

test.afterAll(async () => {
  await admin.dispose();
});

async function breakSimulator(simulator: SimulatorName, settings: Parameters<typeof setSimulator>[2]) {
  touched.add(simulator);
  await setSimulator(admin, simulator, settings);
}

test('support fixes a stuck order: the warehouse push failed, the agent re-pushes after the WMS recovers', async ({ page }) => {
  test.setTimeout(180_000);
  await breakSimulator('wms', { failureRate: 1 });
  const customer = uniqueUser('stuck');
  const order = await placeOrder(page.request, customer);
  await payOrder(page.request, order);

  await signIn(page, 'support');
  await page.goto('/orders?view=stuck');
  await page.getByLabel('User').fill(customer);
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(new RegExp(`user=${customer}`));
  const row = page.locator(`tr[data-order-id="${order.orderId}"]`);
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText('retrying');
  await expect(row).toContainText('wms create shipment: HTTP 503');

  await row.getByRole('link', { name: order.orderId }).click();
  await expect(page).toHaveURL(new RegExp(`/orders/${order.orderId}$`));
  await expect(page.getByTestId('order-status')).toHaveText('PAID');
  const push = page.locator('[data-event-type="OrderPaid"] li[data-group="fulfilment"]');
  await expect(push).toHaveAttribute('data-state', 'retrying');
  await expect(push).toContainText('HTTP 503');
  // Let a few attempts fail so the next scheduled one is well in the future: the re-push, not the schedule, fixes it.
  await expect(push).toContainText(/attempt ([4-9]|\d\d) failed/, { timeout: 60_000 });
  await screenshot(page, 'order-trace-wms-retrying');

  await setSimulator(admin, 'wms', healthySimulator);
  await page.getByRole('button', { name: 'Re-push to WMS' }).click();
  await expect(page.getByRole('dialog')).toContainText('Pushes the order to the warehouse again now');
  await confirmWithReason(page, 'WMS is back; customer asked about the delay', 'Re-push to WMS');

  await expect(page.getByTestId('order-status')).toHaveText(/FULFILLING|SHIPPED/, { timeout: 30_000 });
  await expect(push).toHaveAttribute('data-state', 'processed');
  await expect(page.getByTestId('order-actions')).toContainText('orders.repushShipment');
  await expect(page.getByTestId('order-trace')).toContainText('Operator: Re-pushed to the warehouse');
  await screenshot(page, 'support-fixes-stuck-order');

  await page.goto(`/audit?target=${order.orderId}`);
  const entry = page.getByTestId('audit-table').locator('tr', { hasText: 'orders.repushShipment' });
  await expect(entry).toContainText('support@conveyor.demo');
  await expect(entry).toContainText('WMS is back');
});

test('ops watches lag: a slow warehouse makes fulfilment lag rise on the chart, and it drains after recovery', async ({ page }) => {
  test.setTimeout(240_000);
  await breakSimulator('wms', { latencyMs: 1_500 });
  const user = uniqueUser('lag');
  // One after another: concurrent order creation on one SKU can deadlock today (reported to the order domain).
  for (let index = 0; index < 30; index++) {
    const order = await placeOrder(page.request, user);
    await payOrder(page.request, order);
  }

  await signIn(page, 'viewer');
  await page.goto('/queues?chartGroup=fulfilment');
  const lag = page.locator('tr[data-group="fulfilment"] [data-testid="group-lag"]');
  await expect(async () => expect(Number(await lag.textContent())).toBeGreaterThan(5)).toPass({ timeout: 60_000 });
  // The chart draws the sampled lag; wait until a sample with the backlog is on it.
  await expect(page.getByTestId('lag-chart').locator('path.recharts-line-curve')).toBeVisible({ timeout: 30_000 });
  await expect(async () => expect(Number(await page.getByTestId('lag-chart').getAttribute('data-peak-lag'))).toBeGreaterThan(5)).toPass({ timeout: 30_000 });
  await screenshot(page, 'ops-watches-lag');

  await setSimulator(admin, 'wms', healthySimulator);
  await expect(async () => expect(Number(await lag.textContent())).toBe(0)).toPass({ timeout: 120_000 });
});

test('a refund the provider refuses ends REFUND_FAILED; support retries it after recovery and it becomes REFUNDED', async ({ page }) => {
  test.setTimeout(180_000);
  const order = await placeOrder(page.request, uniqueUser('refund'));
  await payOrder(page.request, order);

  await signIn(page, 'support');
  await page.goto(`/orders/${order.orderId}`);
  await expect(page.getByTestId('order-status')).toHaveText(/PAID|FULFILLING|SHIPPED/, { timeout: 30_000 });

  await breakSimulator('payment', { rejectRate: 1 });
  const refund = await page.request.post(`${orderApiURL}/api/orders/${order.orderId}/refund`, { data: { userId: order.userId, reason: 'customer changed their mind' }, headers: storefrontHeaders });
  expect(refund.status(), await refund.text()).toBe(202);
  await expect(page.getByTestId('order-status')).toHaveText('REFUND_FAILED', { timeout: 30_000 });
  await expect(page.getByTestId('order-refunds')).toContainText('HTTP 422: simulated refund rejection');

  await setSimulator(admin, 'payment', healthySimulator);
  await page.getByRole('button', { name: 'Retry refund' }).click();
  await expect(page.getByRole('dialog')).toContainText('cannot be paid twice');
  await confirmWithReason(page, 'provider fixed their refund API', 'Retry refund');
  await expect(page.getByTestId('order-status')).toHaveText('REFUNDED', { timeout: 30_000 });
  await expect(page.getByTestId('order-actions')).toContainText('orders.retryRefund');
  await expect(page.getByTestId('order-trace')).toContainText('Operator: Retried the refund');
  await screenshot(page, 'support-retries-refund');
});
