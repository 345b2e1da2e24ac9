import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { screenshot, signedInRequest, signIn } from './support/console';

test('an admin downloads the audit log of a range for the SIEM; other roles and strangers are refused', async ({ page, playwright, baseURL }) => {
  await signIn(page, 'admin');
  await page.goto('/audit');
  await page.getByText('Export the audit log…').click();
  const panel = page.getByTestId('audit-export');
  await panel.getByLabel('Format').selectOption('csv');
  await screenshot(page, 'admin-exports-the-audit-log');
  const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('link', { name: 'Download' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-log_.+\.csv$/);
  const lines = (await readFile((await download.path())!, 'utf8')).split('\r\n');
  expect(lines[0]).toBe('id,at,actor_email,actor_role,action,target,reason,outcome,message,input,result,request_id');
  // The export is itself audited, at its start, so the file holds it.
  expect(lines.some((line) => line.includes('admin@conveyor.demo,admin,audit.export'))).toBe(true);

  const range = new URLSearchParams({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString(), format: 'ndjson' });
  const oncall = await signedInRequest(playwright, baseURL!, 'oncall');
  const refused = await oncall.get(`/api/audit/export?${range}`);
  expect(refused.status()).toBe(403);
  expect((await refused.json()).message).toContain('it needs admin');
  await oncall.dispose();
  const stranger = await playwright.request.newContext({ baseURL });
  expect((await stranger.get(`/api/audit/export?${range}`)).status()).toBe(401);
  await stranger.dispose();
});
