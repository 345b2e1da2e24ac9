import { expect, test } from '@playwright/test';
import { forceMutation, payOrder, placeOrder, screenshot, signIn, uniqueUser } from './support/console';

test('a viewer sees every ops screen and no action; a forced action is denied and audited', async ({ page }) => {
  const order = await placeOrder(page.request, uniqueUser('viewer'));
  await payOrder(page.request, order);
  await signIn(page, 'viewer');

  const actionNames = /^(Re-push to WMS|Retry refund|Close order|Replay.*|Discard.*|Retry.*now.*|Give up.*|Pause|Resume|Reset offsets…|Edit|Arm sale…|Pause…|End sale…|Change limit…)$/;
  for (const [path, heading] of [
    ['/', 'Overview'],
    ['/orders', 'Orders'],
    ['/orders?view=stuck', 'Orders'],
    [`/orders/${order.orderId}`, `Order ${order.orderId}`],
    ['/queues', 'Queues'],
    ['/dead-letters', 'Dead letters'],
    ['/failed-pushes', 'Failed pushes'],
    ['/third-parties', 'Third parties'],
    ['/sales', 'Sales'],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toContainText(heading);
    await expect(page.locator('[role="status"][aria-busy="true"]')).toHaveCount(0, { timeout: 15_000 });
    await expect(page.locator('.error-box')).toHaveCount(0);
    await expect(page.getByRole('button', { name: actionNames })).toHaveCount(0);
    if (path === '/third-parties') await screenshot(page, 'viewer-third-parties');
    if (path === '/orders?view=stuck') await screenshot(page, 'viewer-stuck-orders');
  }
  await page.goto(`/orders/${order.orderId}`);
  await expect(page.getByTestId('order-trace')).toContainText('Payment received');
  await expect(page.getByRole('region', { name: 'Compensations' })).toHaveCount(0);
  await screenshot(page, 'viewer-order-page');

  const denied = await forceMutation(page, 'orders.closeOrder', { orderId: order.orderId, reason: 'viewer tries anyway' });
  expect(denied.status()).toBe(403);
  const replay = await forceMutation(page, 'deadLetters.replay', { everything: true, reason: 'viewer tries anyway' });
  expect(replay.status()).toBe(403);

  await page.goto(`/audit?target=${order.orderId}`);
  const entry = page.getByTestId('audit-table').locator('tr', { hasText: 'orders.closeOrder' });
  await expect(entry).toContainText('viewer@conveyor.demo');
  await expect(entry).toContainText('denied');
});
