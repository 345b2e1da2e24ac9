import { expect, test, type Page } from '@playwright/test';
import { screenshot, signIn } from './support/console';

async function signInWith(page: Page, email: string, password: string) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function addUser(page: Page, user: { email: string; role: string; password: string }) {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
  await page.getByRole('button', { name: 'Add user' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Email').fill(user.email);
  await dialog.getByLabel('Name').fill('New Colleague');
  await dialog.getByLabel('Role').selectOption(user.role);
  await dialog.getByLabel('Initial password').fill(user.password);
  await dialog.getByLabel(/Reason/).fill(`${user.email} joins the team`);
  await dialog.getByRole('button', { name: 'Add user' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('users-table').locator(`tr[data-email="${user.email}"]`)).toBeVisible();
}

test('a viewer opens the audit log after an admin created a user and sees no password', async ({ browser }) => {
  const email = `hire-${Date.now()}@conveyor.test`;
  const password = `initial-${Date.now()}-secret`;
  const adminPage = await (await browser.newContext()).newPage();
  await signIn(adminPage, 'admin');
  await addUser(adminPage, { email, role: 'viewer', password });

  const page = await (await browser.newContext()).newPage();
  await signIn(page, 'viewer');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Target').fill(email);
  await page.getByRole('button', { name: 'Filter' }).click();
  const entry = page.getByTestId('audit-table').getByRole('row').filter({ hasText: `${email} joins the team` });
  await expect(entry).toContainText('users.create');
  await expect(entry).toContainText('admin@conveyor.demo');
  await expect(page.locator('body')).not.toContainText(password);
  await expect(entry.locator('details')).toHaveCount(0);
  await screenshot(page, 'audit-seen-by-viewer');

  // The admin sees the input, with the password removed.
  await adminPage.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
  await adminPage.getByLabel('Target').fill(email);
  await adminPage.getByRole('button', { name: 'Filter' }).click();
  const adminEntry = adminPage.getByTestId('audit-table').getByRole('row').filter({ hasText: `${email} joins the team` });
  await adminEntry.locator('summary').click();
  await expect(adminEntry).toContainText('[redacted]');
  await expect(adminPage.locator('body')).not.toContainText(password);
});

test('an admin changes their own password and signs in with it', async ({ page }) => {
  // A new admin of the journey's own, so the demo admin other journeys sign in as keeps its password.
  const email = `admin-${Date.now()}@conveyor.test`;
  await signIn(page, 'admin');
  await addUser(page, { email, role: 'admin', password: 'first-password-1' });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/sign-in/);

  await signInWith(page, email, 'first-password-1');
  await expect(page.getByTestId('whoami')).toContainText(email);
  await page.getByTestId('whoami').getByRole('link', { name: 'Account' }).click();
  const form = page.getByRole('form', { name: 'Change password' });
  await form.getByLabel('Current password').fill('first-password-1');
  await form.getByLabel('New password (at least 8 characters)').fill('second-password-2');
  await form.getByLabel('New password again').fill('second-password-2');
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByTestId('password-changed')).toBeVisible();
  await screenshot(page, 'account-password-changed');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/sign-in/);

  await signInWith(page, email, 'first-password-1');
  await expect(page.locator('.error-box')).toContainText('Wrong email or password');
  await signInWith(page, email, 'second-password-2');
  await expect(page.getByTestId('whoami')).toContainText(email);
});
