import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { NextRequest } from 'next/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@/db/embedded';
import { seedDemoUsers } from '@/server/auth/seed-users';
import { consoleBuilt, nextBin } from '@/server/runtime/console-process';
import { startOrderApi, type OrderApi } from '@/server/runtime/order-api';
import { createTestDatabase } from '@/test/database';
import { waitFor } from '@/test/wait-for';
import { proxy } from '@/proxy';

const { db, url } = await createTestDatabase({ max: 4 });

const nonceOf = (csp: string | null) => /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp ?? '')?.[1];

describe("the console's proxy", () => {
  const answer = (headers: Record<string, string> = {}, appUrl?: string) => {
    const saved = process.env.APP_URL;
    if (appUrl) process.env.APP_URL = appUrl;
    else delete process.env.APP_URL;
    try {
      return proxy(new NextRequest('http://console.test/orders', { headers }));
    } finally {
      if (saved === undefined) delete process.env.APP_URL;
      else process.env.APP_URL = saved;
    }
  };

  it('gives each request a fresh nonce, hands it to Next.js in the request, and allows no inline script without it', () => {
    const first = answer();
    const second = answer();
    const csp = first.headers.get('content-security-policy')!;
    const nonce = nonceOf(csp)!;
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(nonceOf(second.headers.get('content-security-policy'))).not.toBe(nonce);
    // Next.js takes the nonce for its own scripts from the request's CSP header.
    expect(first.headers.get('x-middleware-request-content-security-policy')).toBe(csp);
    const scriptSrc = csp.split('; ').find((directive) => directive.startsWith('script-src '))!;
    expect(scriptSrc).toBe(`script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    expect(first.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  });

  it('adds HSTS only when the console is reached over https: APP_URL https, or a proxy saying X-Forwarded-Proto: https', () => {
    expect(answer().headers.get('strict-transport-security')).toBeNull();
    expect(answer({ 'x-forwarded-proto': 'http' }).headers.get('strict-transport-security')).toBeNull();
    expect(answer({ 'x-forwarded-proto': 'https' }).headers.get('strict-transport-security')).toBe('max-age=31536000');
    expect(answer({ 'x-forwarded-proto': 'https, http' }).headers.get('strict-transport-security')).toBe('max-age=31536000');
    const behindHttps = answer({}, 'https://console.example.com');
    expect(behindHttps.headers.get('strict-transport-security')).toBe('max-age=31536000');
    expect(behindHttps.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
  });
});

describe('the built console, served by next start in production mode', () => {
  let console_: ChildProcess;
  let base: string;
  beforeAll(async () => {
    // The console is built once (npm start and this test share the build); a clean clone builds it here.
    if (!consoleBuilt()) expect(spawnSync(nextBin, ['build'], { stdio: 'inherit', timeout: 600_000 }).status).toBe(0);
    await seedDemoUsers(db);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = { ...process.env, NODE_ENV: 'production' as const, DATABASE_URL: url, DEMO: 'false', AUTH_SECRET: randomBytes(32).toString('base64'), APP_URL: base, PORT: String(port) };
    console_ = spawn(nextBin, ['start', '-p', String(port), '-H', '127.0.0.1'], { env, stdio: 'ignore' });
    await waitFor(() => fetch(`${base}/api/health`).then((response) => response.ok, () => false), { timeoutMs: 60_000, what: 'the console to answer' });
  }, 700_000);
  afterAll(async () => {
    console_.kill('SIGTERM');
    if (console_.exitCode === null) await new Promise((resolve) => console_.once('exit', resolve));
  });

  it('serves the sign-in page with a per-request nonce on every script, no demo accounts, and cannot be framed', async () => {
    const response = await fetch(`${base}/sign-in`);
    expect(response.status).toBe(200);
    const nonce = nonceOf(response.headers.get('content-security-policy'))!;
    expect(nonce).toBeTruthy();
    const html = await response.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
    for (const [style] of html.matchAll(/<style\b[^>]*>/g)) expect(style).toContain(`nonce="${nonce}"`);
    expect(html).not.toContain('demo-accounts');
    expect(html).not.toContain('@conveyor.demo');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toBeNull();

    const again = await fetch(`${base}/sign-in`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(nonceOf(again.headers.get('content-security-policy'))).not.toBe(nonce);
    expect(again.headers.get('strict-transport-security')).toBe('max-age=31536000');
  });

  it('sends nosniff and frame-ancestors on API answers and static files too', async () => {
    const health = await fetch(`${base}/api/health`);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await (await fetch(`${base}/sign-in`)).text();
    const chunk = /src="(\/_next\/static\/[^"]+\.js)"/.exec(html)![1]!;
    const file = await fetch(`${base}${chunk}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('the order API', () => {
  let api: OrderApi;
  beforeAll(async () => {
    api = await startOrderApi({ db, databaseUrl: url, simulators: false });
  });
  afterAll(() => api.stop());

  it('answers every route, and unknown paths, with nosniff and a CSP that lets nothing load, run or frame it', async () => {
    for (const path of ['/api/health', '/api/no-such-route']) {
      const response = await fetch(`${api.url}${path}`);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('content-security-policy'), path).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });
});
