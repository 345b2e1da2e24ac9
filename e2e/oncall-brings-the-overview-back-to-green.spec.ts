import { expect, test } from '@playwright/test';
import { confirmWithReason, healthySimulator, payOrder, placeOrder, screenshot, setSimulator, signedInRequest, signIn, uniqueUser } from './support/console';

/*
 * The SMS gateway fails; its deliveries die (the journeys' server gives them 3 quick attempts,
 * playwright.config.ts). Simulator settings are global to the app: this is the only journey
 * that breaks the SMS gateway, and it puts it back to healthy whatever happens.
 */
test('on-call sees the dead letters tile turn red while the SMS gateway fails, replays them after it recovers, watches the progress, and sees the tile go green', async ({ page, playwright, baseURL }) => {
  test.setTimeout(240_000);
  const admin = await signedInRequest(playwright, baseURL!, 'admin');
  try {
    await setSimulator(admin, 'sms', { failureRate: 1 });
    const user = uniqueUser('overview-green');
    const orders: Awaited<ReturnType<typeof placeOrder>>[] = [];
    for (let index = 0; index < 3; index++) {
      const order = await placeOrder(page.request, user);
      await payOrder(page.request, order);
      orders.push(order);
    }

    await signIn(page, 'oncall');
    await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
    const deadLetters = page.getByTestId('tile-dead-letters');
    // Growing dead letters are red, and the tile names the group they pile up in.
    await expect(deadLetters).toHaveAttribute('data-status', 'bad', { timeout: 60_000 });
    await expect(deadLetters).toContainText('most in notifications');
    await expect(page.getByTestId('overview-verdict')).toContainText('need');
    const sms = page.getByTestId('tile-third-party-sms');
    await expect(sms).toHaveAttribute('data-status', /^(warn|bad)$/);
    await expect(sms).toContainText(/[1-9]\d* failed of \d+/);
    await screenshot(page, 'overview-while-sms-fails');

    await setSimulator(admin, 'sms', healthySimulator);
    await deadLetters.getByRole('link').click();
    await expect(page.getByRole('heading', { name: 'Dead letters', level: 1 })).toBeVisible();
    await expect(page).toHaveURL(/\/dead-letters\?group=notifications/);
    for (const order of orders) await expect(page.getByTestId('dead-letters-table')).toContainText(order.orderId, { timeout: 60_000 });

    await page.getByRole('button', { name: 'Replay all matching…' }).click();
    await expect(page.getByTestId('bulk-preview')).toContainText(orders[0]!.orderId.slice(0, 8));
    expect(Number(await page.getByTestId('bulk-count').textContent())).toBeGreaterThanOrEqual(orders.length);
    await confirmWithReason(page, 'SMS gateway recovered', /Replay \d+/);

    // The replay's progress, where it was started: who, why, how far, and how it ended.
    const progress = page.getByTestId('long-work').getByTestId('long-work-item').first();
    await expect(progress).toContainText('started by oncall@conveyor.demo');
    await expect(progress).toContainText('SMS gateway recovered');
    await expect(progress).toHaveAttribute('data-state', 'finished', { timeout: 60_000 });
    await expect(progress.getByTestId('long-work-count')).toHaveText(/^(\d+) \/ \1$/);
    await expect(progress.getByTestId('long-work-failures')).toHaveText('0 failures');
    await screenshot(page, 'oncall-watches-the-replay');
    const workId = await progress.getAttribute('data-work-id');
    const replayed = await progress.getByTestId('long-work-count').textContent();

    // It is read from the server, so a reload shows the same work.
    await page.reload();
    const reloaded = page.locator(`[data-testid="long-work-item"][data-work-id="${workId}"]`);
    await expect(reloaded).toHaveAttribute('data-state', 'finished');
    await expect(reloaded.getByTestId('long-work-count')).toHaveText(replayed!);
    await expect(page.getByText('No dead letters match')).toBeVisible({ timeout: 20_000 });

    for (const order of orders) {
      await page.goto(`/orders/${order.orderId}`);
      const text = page.locator('[data-event-type="OrderPaid"] li[data-group="notifications"]');
      await expect(text).toContainText('replayed by oncall@conveyor.demo');
      await expect(text).toHaveAttribute('data-state', 'processed', { timeout: 30_000 });
    }

    await page.getByRole('link', { name: 'Overview' }).first().click();
    await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
    // The tile the outage turned red is green again. (The SMS gateway's error rate is judged over the
    // last minute of calls, so its tile follows once the failed calls leave that window.)
    await expect(deadLetters).toHaveAttribute('data-status', 'ok', { timeout: 30_000 });
    await expect(deadLetters).toContainText('+0 in the last hour');
    // Nothing is running any more, so the Overview lists no work.
    await expect(page.getByTestId('long-work')).toHaveCount(0);
    await screenshot(page, 'overview-back-to-green');
  } finally {
    await setSimulator(admin, 'sms', healthySimulator);
    await admin.dispose();
  }
});
