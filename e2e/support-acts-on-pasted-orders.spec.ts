import { expect, test } from '@playwright/test';
import { placeOrder, screenshot, signIn, uniqueUser } from './support/console';

test('support pastes order ids from a ticket and closes the unpaid ones in one go', async ({ page }) => {
  const user = uniqueUser('bulk');
  const first = await placeOrder(page.request, user);
  const second = await placeOrder(page.request, user);

  await signIn(page, 'support');
  await page.goto('/orders');
  await page.getByLabel('Order ids (paste one or many)').fill(`${first.orderId}, ${second.orderId}\nord_not-a-real-order`);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Found 2 of the 3 pasted ids' })).toContainText('ord_not-a-real-order');

  await page.getByLabel('Select every listed order').check();
  await page.getByRole('button', { name: 'Close order…' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(first.orderId);
  await dialog.getByLabel(/Reason/).fill('customer cancelled both by phone');
  await dialog.getByRole('button', { name: 'Close order (2)' }).click();
  await expect(dialog).toBeHidden();

  for (const order of [first, second]) {
    await expect(page.locator(`tr[data-order-id="${order.orderId}"]`)).toContainText('CLOSED');
  }
  // The run is recorded on the server: after a reload the Orders screen still says how it went and who ran it.
  await page.reload();
  const work = page.getByTestId('long-work-item').filter({ hasText: 'Close order: 2 orders' }).first();
  await expect(work).toHaveAttribute('data-state', 'finished');
  await expect(work.getByTestId('long-work-count')).toHaveText('2 / 2');
  await expect(work).toContainText('customer cancelled both by phone');
  await screenshot(page, 'support-closes-pasted-orders');
});
