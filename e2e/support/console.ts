import { expect, type APIRequestContext, type Page } from '@playwright/test';
import type { Role } from '../../shared/roles';
import type { SimulatorName } from '../../shared/simulators';
import { e2eStorefrontToken } from './storefront-token';

export type { Role, SimulatorName };

/** The order API that `npm start` runs beside the suite's console (storefront, webhooks, the simulators). */
export const orderApiURL = `http://localhost:${process.env.E2E_ORDER_API_PORT ?? 3101}`;

/** What the storefront sends with each call to the order API. */
export const storefrontHeaders = { authorization: `Bearer ${e2eStorefrontToken}` };

export const demoAccount = (role: Role) => ({ email: `${role}@conveyor.demo`, password: `${role}-demo-pass` });

/** `origin` is for a console other than the suite's own (a journey that runs a second one). */
export async function signIn(page: Page, role: Role, origin = '') {
  const account = demoAccount(role);
  await page.goto(`${origin}/sign-in`);
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('whoami')).toContainText(account.email);
}

/** Calls a tRPC mutation with the page's session cookie, as a hand-made request would. */
export async function forceMutation(page: Page, path: string, input: Record<string, unknown>) {
  return page.request.post(`/api/trpc/${path}`, { data: { json: input } });
}

/** Fills the reason of the open confirmation dialog, confirms, and waits until the action ran and the dialog closed. */
export async function confirmWithReason(page: Page, reason: string, confirm: string | RegExp) {
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(/Reason/).fill(reason);
  await dialog.getByRole('button', { name: confirm }).click();
  await expect(dialog).toBeHidden({ timeout: 20_000 });
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });
}

export interface FaultSettings {
  latencyMs?: number;
  jitterMs?: number;
  failureRate?: number;
  timeoutRate?: number;
  lostResponseRate?: number;
  rejectRate?: number;
}
export const healthySimulator: Required<FaultSettings> = { latencyMs: 0, jitterMs: 0, failureRate: 0, timeoutRate: 0, lostResponseRate: 0, rejectRate: 0 };

/**
 * Set-up calls sit idle between a journey's steps, and a connection the server closes as one is
 * sent fails with ECONNRESET. They set absolute values, so sending one again is safe.
 */
const resentOnReset = 2;

/** A request context signed in as a role through the auth API, for set-up calls (simulator faults) outside the page under test. */
export async function signedInRequest(playwright: { request: { newContext(options: { baseURL?: string }): Promise<APIRequestContext> } }, baseURL: string, role: Role) {
  const request = await playwright.request.newContext({ baseURL });
  const response = await request.post('/api/auth/sign-in/email', { data: demoAccount(role), headers: { origin: baseURL }, maxRetries: resentOnReset });
  expect(response.ok(), `sign in as ${role}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return request;
}

/** Changes a simulator's faults through the admin tRPC procedure (audited like any console change). */
export async function setSimulator(admin: APIRequestContext, simulator: SimulatorName, settings: FaultSettings) {
  const response = await admin.post('/api/trpc/thirdParties.updateSimulator', {
    data: { json: { simulator, ...settings, reason: 'e2e journey sets simulator faults' } },
    maxRetries: resentOnReset,
  });
  expect(response.ok(), `set ${simulator} simulator: ${await response.text()}`).toBeTruthy();
  await waitForSimulator(admin, simulator, settings);
}

/**
 * Simulators re-read their settings at most once a second: probe until the change is in
 * effect, so a journey never races its own fault injection. The probe is a request to a
 * path that does not exist (or a refund of a payment that does not exist): faults apply
 * to every request, and it changes nothing.
 */
async function waitForSimulator(request: APIRequestContext, simulator: SimulatorName, settings: FaultSettings) {
  const probe = async () => {
    const started = Date.now();
    const response =
      simulator === 'payment'
        ? await request.post(`${orderApiURL}/api/sim/payment/refunds`, {
            data: { refundId: `probe-${started}`, paymentId: 'pay_probe_missing', amountCents: 1 },
            headers: { 'idempotency-key': `probe-${started}-${Math.random()}` },
            maxRetries: resentOnReset,
          })
        : await request.get(`${orderApiURL}/api/sim/${simulator}/probe`, { maxRetries: resentOnReset });
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    return { status: response.status(), error: body.error, ms: Date.now() - started };
  };
  await expect(async () => {
    const seen = await probe();
    const failing = (settings.failureRate ?? 0) >= 1;
    expect(seen.status === 503, `${simulator} failing`).toBe(failing);
    if (!failing && simulator === 'payment') expect(seen.error === 'refund_rejected', 'payment rejecting refunds').toBe((settings.rejectRate ?? 0) >= 1);
    if (!failing && settings.latencyMs !== undefined) {
      if (settings.latencyMs > 0) expect(seen.ms).toBeGreaterThanOrEqual(settings.latencyMs * 0.9);
      else expect(seen.ms).toBeLessThan(500);
    }
  }).toPass({ timeout: 15_000 });
}

/** Places an order through the order API's storefront endpoint for a user unique to the journey. */
export async function placeOrder(request: APIRequestContext, userId: string, items: { sku: string; quantity: number }[] = [{ sku: 'SKU-MUG', quantity: 1 }]) {
  const response = await request.post(`${orderApiURL}/api/orders`, { data: { userId, items }, headers: storefrontHeaders });
  expect(response.status(), await response.text()).toBe(201);
  return { ...((await response.json()) as { orderId: string; totalCents: number }), userId };
}

/** Pays an order at the payment provider simulator, which then notifies the order API (signed, redelivered until acknowledged). */
export async function payOrder(request: APIRequestContext, order: { orderId: string; totalCents: number }) {
  const response = await request.post(`${orderApiURL}/api/sim/payment/payments`, {
    data: { orderId: order.orderId, amountCents: order.totalCents, notifyUrl: `${orderApiURL}/api/payments/notify` },
    headers: { 'idempotency-key': `pay-${order.orderId}` },
  });
  expect(response.ok(), await response.text()).toBeTruthy();
}

/** A user id no other journey run uses, so journeys never see each other's orders. */
export function uniqueUser(journey: string) {
  return `e2e-${journey}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}
