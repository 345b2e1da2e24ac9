import { expect, test } from '@playwright/test';
import { placeOrder, signIn, uniqueUser } from './support/console';

test('screens arrive with their first rows: with scripts off, support still sees the order in the search and its trace', async ({ page, browser, baseURL }) => {
  const order = await placeOrder(page.request, uniqueUser('first-paint'));
  await signIn(page, 'support');

  // Whatever is on screen without JavaScript was rendered on the server from the prefetched queries.
  const noScripts = await browser.newContext({ baseURL, javaScriptEnabled: false, storageState: await page.context().storageState() });
  const html = await noScripts.newPage();
  await html.goto(`/orders?user=${encodeURIComponent(order.userId)}`);
  await expect(html.getByTestId('orders-table').locator(`[data-order-id="${order.orderId}"]`)).toBeVisible();
  await html.goto(`/orders/${order.orderId}`);
  await expect(html.getByTestId('order-trace')).toContainText('Order placed');
  await noScripts.close();
});
