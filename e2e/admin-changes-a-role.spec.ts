import { expect, test } from '@playwright/test';
import { screenshot, signIn } from './support/console';

test('an admin adds a colleague, promotes them, and the audit log shows it', async ({ page }) => {
  const email = `agent-${Date.now()}@conveyor.test`;
  await signIn(page, 'admin');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();

  await page.getByRole('button', { name: 'Add user' }).click();
  const addDialog = page.getByRole('dialog');
  await addDialog.getByLabel('Email').fill(email);
  await addDialog.getByLabel('Name').fill('New Agent');
  await addDialog.getByLabel('Initial password').fill('a-good-password');
  await addDialog.getByLabel(/Reason/).fill('joined support');
  await addDialog.getByRole('button', { name: 'Add user' }).click();
  await expect(addDialog).toBeHidden();

  const row = page.getByTestId('users-table').locator(`tr[data-email="${email}"]`);
  await expect(row).toBeVisible();
  await row.getByRole('combobox').selectOption('support');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(`${email} will change from viewer to support`);
  await dialog.getByLabel(/Reason/).fill(`${email} covers the night shift`);
  await screenshot(page, 'users-change-role');
  await dialog.getByRole('button', { name: 'Change role' }).click();
  await expect(dialog).toBeHidden();
  await expect(row.getByRole('combobox')).toHaveValue('support');

  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Action').fill('users.changeRole');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/action=users.changeRole/);
  const entry = page.getByTestId('audit-table').getByRole('row').filter({ hasText: `${email} covers the night shift` });
  await expect(entry).toContainText('admin@conveyor.demo');
  await expect(entry).toContainText('ok');
  await screenshot(page, 'audit-role-change');
});
