import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { authSettings } from '@/server/auth/auth-settings';
import { maxBodyBytesSetting, wholeNumberSetting } from './settings';

export const nextBin = path.resolve('node_modules/.bin/next');

/** A stable secret for signing sessions when the operator gives none: kept beside the embedded data. */
function authSecret(): string {
  if (process.env.AUTH_SECRET) return process.env.AUTH_SECRET;
  const file = path.resolve('.data/auth-secret');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * How the console (Next.js) is started, by `npm run console` and by `npm start`: its
 * arguments and the environment it needs (database, session secret, its own URL for
 * sign-in, and the order API's URL for the calls it makes to the third parties' simulators).
 */
export function consoleCommand(options: { mode: 'start' | 'dev'; port: number; databaseUrl: string; demo: boolean; orderApiUrl: string }) {
  /*
   * Node closes an idle keep-alive connection after 5 s, and a client that sends on it just as
   * it closes gets ECONNRESET (Playwright's and most API clients do not retry a POST). Held
   * longer than load balancers' idle timeouts (60 s), the client or proxy ends it instead.
   */
  const keepAliveTimeoutMs = wholeNumberSetting('KEEP_ALIVE_TIMEOUT_MS', 65_000, { min: 1 });
  // Read here so an unusable value stops the start; the tRPC route reads it again in the console process.
  maxBodyBytesSetting();
  // Read here too, so a bad sign-in or session setting stops the console before Next.js starts, not at the first sign-in.
  authSettings();
  const port = String(options.port);
  return {
    args: options.mode === 'dev' ? ['dev', '-p', port] : ['start', '-p', port, '--keepAliveTimeout', String(keepAliveTimeoutMs)],
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      DEMO: String(options.demo),
      AUTH_SECRET: authSecret(),
      PORT: port,
      APP_URL: process.env.APP_URL ?? `http://localhost:${port}`,
      ORDER_API_URL: options.orderApiUrl,
    },
  };
}

export const consoleBuilt = () => existsSync(path.resolve('.next/BUILD_ID'));
