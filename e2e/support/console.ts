import { expect, type Page } from '@playwright/test';

export type Role = 'viewer' | 'support' | 'oncall' | 'admin';

export const demoAccount = (role: Role) => ({ email: `${role}@conveyor.demo`, password: `${role}-demo-pass` });

export async function signIn(page: Page, role: Role) {
  const account = demoAccount(role);
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('whoami')).toContainText(account.email);
}

/** Calls a tRPC mutation with the page's session cookie, as a hand-made request would. */
export async function forceMutation(page: Page, path: string, input: Record<string, unknown>) {
  return page.request.post(`/api/trpc/${path}`, { data: { json: input } });
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });
}
