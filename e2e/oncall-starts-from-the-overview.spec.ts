import { expect, test } from '@playwright/test';
import { placeOrder, screenshot, signIn, uniqueUser } from './support/console';

test('on-call lands on the Overview, sees the figures of the last hour, and follows one to its screen', async ({ page }) => {
  await placeOrder(page.request, uniqueUser('overview'));
  await signIn(page, 'oncall');
  await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
  await expect(page.getByTestId('overview-verdict')).toBeVisible();

  const created = page.getByTestId('tile-orders-created');
  await expect(created).toContainText('Orders created / min');
  // The order placed above counts in this hour.
  await expect(created).toContainText(/[1-9]\d* in the last hour/);
  for (const key of ['payment-latency', 'lag', 'dead-letters', 'retrying', 'alerts', 'approvals', 'reconciliation', 'invariants', 'third-party-payment']) {
    await expect(page.getByTestId(`tile-${key}`)).toHaveAttribute('data-status', /^(ok|warn|bad|info)$/);
  }
  await screenshot(page, 'overview');

  await page.getByTestId('tile-dead-letters').getByRole('link').click();
  await expect(page.getByRole('heading', { name: 'Dead letters', level: 1 })).toBeVisible();
});
