import { expect, test } from '@playwright/test';
import { roles } from '../shared/roles';
import { screenshot, signIn } from './support/console';

const everyone = ['Overview', 'Orders', 'Queues', 'Dead letters', 'Failed pushes', 'Reconciliation', 'Third parties', 'Audit log'];

for (const role of roles) {
  test(`${role} signs in and sees the console navigation`, async ({ page }) => {
    await signIn(page, role);
    const nav = page.getByRole('navigation', { name: 'Console' });
    for (const section of everyone) await expect(nav.getByRole('link', { name: section })).toBeVisible();
    if (role === 'admin') await expect(nav.getByRole('link', { name: 'Users' })).toBeVisible();
    else await expect(nav.getByRole('link', { name: 'Users' })).toHaveCount(0);
    await expect(page.getByTestId('whoami')).toContainText(role);

    await nav.getByRole('link', { name: 'Queues' }).click();
    await expect(page.getByRole('heading', { name: 'Queues', level: 1 })).toBeVisible();
    if (role === 'admin') await screenshot(page, 'console-shell-admin');
  });
}

test('a wrong password is refused with a clear message', async ({ page }) => {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill('support@conveyor.demo');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('form').getByRole('alert')).toHaveText(/Wrong email or password/);
  await expect(page).toHaveURL(/\/sign-in/);
  await screenshot(page, 'sign-in-wrong-password');
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page, 'viewer');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto('/audit');
  await expect(page).toHaveURL(/\/sign-in/);
});
