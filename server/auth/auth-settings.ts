import { isIP } from 'node:net';
import { SettingError, wholeNumberSetting } from '@/server/runtime/settings';

/**
 * Sign-in and session settings. Read by the console before Next.js starts (so a bad value stops
 * `npm run console` with one line naming it) and again by the auth handler in the console.
 */
export function authSettings() {
  return {
    /** A session not used for this long ends. */
    sessionIdleMinutes: wholeNumberSetting('SESSION_IDLE_MINUTES', 60, { min: 1 }),
    /** A session ends this long after sign-in however busy it is. */
    sessionMaxHours: wholeNumberSetting('SESSION_MAX_HOURS', 12, { min: 1 }),
    /** Sign-in attempts (right or wrong) per client address per minute, better-auth's own limiter. */
    loginAttemptsPerMinute: wholeNumberSetting('LOGIN_ATTEMPTS_PER_MINUTE', 10, { min: 1 }),
    /** Failed sign-ins per client address per minute before that address is held back for the minute. */
    signInFailuresPerAddressPerMinute: wholeNumberSetting('SIGN_IN_FAILURES_PER_ADDRESS_PER_MINUTE', 20, { min: 1 }),
    /** Failed sign-ins for one account (from any address) within the lock period before it is locked. */
    signInFailuresBeforeLock: wholeNumberSetting('SIGN_IN_FAILURES_BEFORE_LOCK', 10, { min: 1 }),
    signInLockMinutes: wholeNumberSetting('SIGN_IN_LOCK_MINUTES', 15, { min: 1 }),
    trustedProxies: trustedProxiesSetting(),
  };
}

export type AuthSettings = ReturnType<typeof authSettings>;

export interface AddressRange {
  address: string;
  prefixLength: number;
}

/**
 * TRUSTED_PROXIES: comma-separated addresses or CIDRs (`10.0.0.0/8, ::1`) of the reverse proxies in
 * front of the console. Only a request that reached us through one of them has its
 * X-Forwarded-For and X-Forwarded-Proto believed. Empty (the default): none is.
 */
export function trustedProxiesSetting(): AddressRange[] {
  const raw = process.env.TRUSTED_PROXIES ?? '';
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [address = '', prefix] = entry.split('/');
      const family = isIP(address);
      const maxPrefix = family === 4 ? 32 : 128;
      const prefixLength = prefix === undefined ? maxPrefix : Number(prefix);
      if (family === 0 || !/^\d*$/.test(prefix ?? '') || !Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > maxPrefix) {
        throw new SettingError('TRUSTED_PROXIES', `TRUSTED_PROXIES must be comma-separated addresses or CIDRs, e.g. 10.0.0.0/8,::1; "${entry}" is neither`);
      }
      return { address, prefixLength };
    });
}
