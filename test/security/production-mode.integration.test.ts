import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { count, eq, inArray } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import postgres from 'postgres';
import { accounts, sessions, users } from '@/db/schema';
import { createAuth } from '@/server/auth/auth';
import { demoUsers, seedDemoUsers } from '@/server/auth/seed-users';
import { DEMO_WMS_WEBHOOK_SECRET } from '@/server/integrations/webhook-signature';
import { freePort } from '@/db/embedded';
import { seedDatabase } from '@/server/runtime/seed-database';
import { createTestDatabase, provisionTestAppRole } from '@/test/database';
import { waitFor } from '@/test/wait-for';

const { db, url: superuserUrl, name } = await createTestDatabase();
const tsx = path.resolve('node_modules/tsx/dist/cli.mjs');
const strongSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

const url = await provisionTestAppRole({ db, url: superuserUrl, name });

/** The environment of an operator who has set nothing of Conveyor's but what each case gives. */
function operatorEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const variable of ['DEMO', 'NODE_ENV', 'PAYMENT_WEBHOOK_SECRET', 'WMS_WEBHOOK_SECRET', 'AUTH_SECRET', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'SIMULATORS']) delete env[variable];
  return { ...env, DATABASE_URL: url, ...overrides };
}

/** Runs one of the product's commands to its end (a refused start ends at once). */
function runCommand(script: string, env: Record<string, string>) {
  const run = spawnSync(process.execPath, [tsx, `server/cli/${script}`], { env: operatorEnv(env), encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout.trim().split('\n'), stderr: run.stderr.trim() };
}

const userCount = async () => (await db.select({ n: count() }).from(users))[0]!.n;

describe('production mode refuses to start without real secrets', () => {
  it('the order API with an operator DATABASE_URL and no webhook secret stops with one line naming PAYMENT_WEBHOOK_SECRET', () => {
    const run = runCommand('order-api.ts', {});
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('[order-api] production mode (DATABASE_URL set and DEMO unset)');
    expect(run.stderr).toBe(
      "[order-api] PAYMENT_WEBHOOK_SECRET is not set: production mode needs the payment provider's webhook signing secret; generate one with `node -e \"console.log('whsec_'+require('crypto').randomBytes(32).toString('base64'))\"` (or set DEMO=true for a demo)",
    );
  });

  it('the order API refuses a webhook secret written in the repository, even beside a real one while rotating, also under NODE_ENV=production', () => {
    const run = runCommand('order-api.ts', { NODE_ENV: 'production', PAYMENT_WEBHOOK_SECRET: strongSecret(), WMS_WEBHOOK_SECRET: `${strongSecret()} ${DEMO_WMS_WEBHOOK_SECRET}` });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('[order-api] production mode (NODE_ENV=production with DATABASE_URL set and DEMO unset)');
    expect(run.stderr).toBe(
      "[order-api] WMS_WEBHOOK_SECRET entry 2 of 2 equals a value written in the Conveyor repository, which anyone can read: generate one with `node -e \"console.log('whsec_'+require('crypto').randomBytes(32).toString('base64'))\"`",
    );
  });

  it('npm start with DEMO=false refuses a short AUTH_SECRET before it starts anything', () => {
    const run = runCommand('start.ts', { DEMO: 'false', PAYMENT_WEBHOOK_SECRET: strongSecret(), WMS_WEBHOOK_SECRET: strongSecret(), AUTH_SECRET: randomBytes(8).toString('hex') });
    expect(run.status).toBe(1);
    expect(run.stdout).toEqual(['[conveyor] production mode (DEMO=false)']);
    expect(run.stderr).toBe('[conveyor] AUTH_SECRET has 16 characters; production mode needs at least 32: generate one with `openssl rand -base64 32`');
  });

  it('the console refuses a database without an admin when ADMIN_EMAIL is unset, and creates no account', async () => {
    const before = await userCount();
    const run = runCommand('console.ts', { AUTH_SECRET: strongSecret() });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('[console] production mode (DATABASE_URL set and DEMO unset)');
    expect(run.stderr).toBe('[console] ADMIN_EMAIL is not set and the database has no admin: production mode needs ADMIN_EMAIL and ADMIN_PASSWORD for the first admin');
    expect(await userCount()).toBe(before);
  });

  it('the console refuses a first admin whose password is a demo password from the repository, and creates no account', async () => {
    const before = await userCount();
    const run = runCommand('console.ts', { AUTH_SECRET: strongSecret(), ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'admin-demo-pass' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('[console] ADMIN_PASSWORD equals a value written in the Conveyor repository, which anyone can read: generate one with `openssl rand -base64 32`');
    expect(await db.select().from(users).where(eq(users.email, 'ops@example.com'))).toEqual([]);
    expect(await userCount()).toBe(before);
  });

  it('the order API refuses an operator DATABASE_URL that connects as a superuser, naming DATABASE_URL and what to create', () => {
    const run = runCommand('order-api.ts', { DATABASE_URL: superuserUrl, PAYMENT_WEBHOOK_SECRET: strongSecret(), WMS_WEBHOOK_SECRET: strongSecret() });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^\\[order-api\\] DATABASE_URL connects as the superuser \\w+: production mode needs a role that owns the database and is not a superuser \\(CREATE ROLE conveyor LOGIN PASSWORD '…'; ALTER DATABASE ${name} OWNER TO conveyor\\), or DEMO=true$`),
    );
  });

  it('the order API with its own secrets says it runs in production and serves, without simulators', async () => {
    const child = spawn(process.execPath, [tsx, 'server/cli/order-api.ts'], {
      env: operatorEnv({ PAYMENT_WEBHOOK_SECRET: strongSecret(), WMS_WEBHOOK_SECRET: strongSecret(), ORDER_API_PORT: String(await freePort()), ORDER_API_HOST: '127.0.0.1' }),
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const lines = await waitFor(async () => (output.includes('{"orderApi"') ? output.trim().split('\n') : null), { timeoutMs: 30_000, what: 'the order API to serve' });
      expect(lines[0]).toBe('[order-api] production mode (DATABASE_URL set and DEMO unset)');
      expect(JSON.parse(lines.find((line) => line.startsWith('{"orderApi"'))!)).toMatchObject({ simulators: [], demo: false });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('the worker says which mode it runs in and why', async () => {
    const child = spawn(process.execPath, [tsx, 'server/cli/worker.ts'], { env: operatorEnv({ DEMO: 'true', OPS_JOBS: 'off' }) });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const firstLine = await waitFor(async () => (output.includes('\n') ? output.split('\n')[0] : null), { timeoutMs: 30_000, what: "the worker's first line" });
      expect(firstLine).toBe('[worker] demo mode (DEMO=true)');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});

describe('demo accounts outside demo mode', () => {
  process.env.APP_URL = 'http://localhost:3998';
  process.env.AUTH_SECRET = strongSecret();
  const auth = createAuth(db);
  const signIn = (email: string, password: string) =>
    auth.handle(
      new Request('http://localhost:3998/api/auth/sign-in/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://localhost:3998', 'x-forwarded-for': `10.9.${Math.floor(Math.random() * 250)}.1` },
        body: JSON.stringify({ email, password }),
      }),
    );
  const demoAdmin = demoUsers.find((user) => user.role === 'admin')!;

  it('cannot sign in, and lose the sessions they had, once a start in production mode has run; demo mode gives them back', async () => {
    await seedDemoUsers(db);
    const before = await signIn(demoAdmin.email, demoAdmin.password);
    expect(before.status).toBe(200);
    const cookie = (before.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(await auth.sessionActor(new Headers({ cookie }))).not.toBeNull();

    const logged: string[] = [];
    process.env.ADMIN_EMAIL = 'owner@example.com';
    process.env.ADMIN_PASSWORD = strongSecret();
    try {
      await seedDatabase(db, { demo: false, log: (line) => logged.push(line) });
    } finally {
      delete process.env.ADMIN_EMAIL;
      delete process.env.ADMIN_PASSWORD;
    }
    expect(logged[0]).toMatch(/^demo mode is off: disabled the demo accounts .*admin@conveyor\.demo.* \(password and sessions deleted\)$/);

    for (const user of demoUsers) expect((await signIn(user.email, user.password)).status, user.email).toBe(401);
    expect(await auth.sessionActor(new Headers({ cookie }))).toBeNull();
    const demoIds = (await db.select({ id: users.id }).from(users).where(inArray(users.email, demoUsers.map((user) => user.email)))).map((row) => row.id);
    expect(demoIds).toHaveLength(demoUsers.length);
    expect(await db.select().from(accounts).where(inArray(accounts.userId, demoIds))).toEqual([]);
    expect(await db.select().from(sessions).where(inArray(sessions.userId, demoIds))).toEqual([]);

    await seedDatabase(db, { demo: true, log: () => {} });
    expect((await signIn(demoAdmin.email, demoAdmin.password)).status).toBe(200);
  });
});
