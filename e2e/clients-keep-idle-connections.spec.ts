import { expect, test } from '@playwright/test';

/*
 * A client or load balancer that reuses an idle connection must find it open: the console
 * announces how long it keeps one, and that is longer than the 60 s load balancers use.
 */
test('the console keeps an idle connection open longer than a load balancer does', async ({ request }) => {
  const response = await request.get('/api/health');
  expect(response.ok()).toBeTruthy();
  const announced = /timeout=(\d+)/.exec(response.headers()['keep-alive'] ?? '')?.[1];
  expect(Number(announced), `Keep-Alive header: ${response.headers()['keep-alive']}`).toBeGreaterThan(60);
});
