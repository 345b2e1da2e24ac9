import { expect, test } from '@playwright/test';
import { forceMutation, screenshot, signIn } from './support/console';

test('a viewer sees no actions, and a forced call is denied and audited', async ({ page }) => {
  await signIn(page, 'viewer');
  await page.goto('/users');
  await expect(page.getByText('Only admins manage users')).toBeVisible();
  await expect(page.getByRole('combobox')).toHaveCount(0);

  const reason = `forced by viewer ${Date.now()}`;
  const response = await forceMutation(page, 'users.changeRole', { userId: 'someone', role: 'admin', reason });
  expect(response.status()).toBe(403);
  expect(await response.text()).toContain('cannot do this');

  await page.goto(`/audit?actor=viewer%40conveyor.demo&action=users.changeRole`);
  const row = page.getByTestId('audit-table').getByRole('row').filter({ hasText: reason });
  await expect(row).toContainText('denied');
  await expect(row).toContainText('viewer@conveyor.demo');
  await screenshot(page, 'audit-denied-viewer');
});
