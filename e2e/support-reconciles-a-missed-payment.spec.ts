import { expect, test } from '@playwright/test';
import { orderApiURL, placeOrder, screenshot, signIn, uniqueUser } from './support/console';

test('support runs reconciliation, finds a payment whose notification never arrived, and applies the fix', async ({ page }) => {
  // One run checks every order changed since the last run, other journeys' too, some of them at a deliberately slow warehouse.
  test.setTimeout(180_000);
  const order = await placeOrder(page.request, uniqueUser('reconcile'));
  // The customer pays, but the provider's notifications go to a dead address: our order never hears of it.
  const paid = await page.request.post(`${orderApiURL}/api/sim/payment/payments`, {
    data: { orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${orderApiURL}/api/nowhere` },
    headers: { 'idempotency-key': `pay-${order.orderId}` },
  });
  expect(paid.ok(), await paid.text()).toBeTruthy();

  await signIn(page, 'support');
  await page.goto('/reconciliation');
  const dialog = page.getByRole('dialog');
  const notice = page.getByTestId('reconciliation-notice');
  // A scheduled run may hold the lease for a moment; the dialog then says so, and support tries again.
  await expect(async () => {
    if (await dialog.isVisible()) await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Run now' }).click();
    // Report only: the fix is left to the person, and other journeys' orders are not touched.
    await dialog.getByLabel(/Apply certain fixes automatically/).uncheck();
    await dialog.getByLabel(/Reason/).fill('customer says they paid but the order is unpaid');
    await dialog.getByRole('button', { name: 'Run now' }).click();
    await expect(notice.or(dialog.getByRole('alert'))).toBeVisible({ timeout: 60_000 });
    await expect(notice).toContainText(/Run \d+ checked/, { timeout: 1_000 });
  }).toPass({ timeout: 120_000 });

  await page.getByLabel('Diff status').selectOption('open');
  const row = page.locator(`tr[data-order-id="${order.orderId}"]`);
  await expect(row).toContainText('payment_not_recorded');
  await expect(row).toContainText('open');
  await row.getByRole('button', { name: /#\d+/ }).click();
  await expect(page.getByRole('heading', { name: 'Ours' })).toBeVisible();
  await expect(page.locator('tr.diff-detail')).toContainText('PENDING_PAYMENT');
  await page.getByRole('button', { name: 'Apply fix' }).click();
  await dialog.getByLabel(/Reason/).fill('provider shows the payment; apply it');
  await dialog.getByRole('button', { name: 'Apply fix' }).click();
  await expect(notice).toContainText('Recorded payment');

  // The diff leaves the open list and shows as resolved, by the support agent, with what the fix did.
  await page.getByLabel('Diff status').selectOption('resolved');
  await expect(row).toContainText('resolved');
  await expect(row).toContainText('support@conveyor.demo');
  await expect(page.locator('tr.diff-detail')).toContainText('Fix applied: Recorded payment');
  await screenshot(page, 'support-reconciles-a-missed-payment');

  await page.goto(`/orders/${order.orderId}`);
  await expect(page.getByTestId('order-status')).toHaveText(/PAID|FULFILLING|SHIPPED/, { timeout: 30_000 });
});
