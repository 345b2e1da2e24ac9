import { eq, sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { auditLog, signInThrottle } from '@/db/schema';
import type { AuthSettings } from './auth-settings';

interface ThrottlePolicy {
  /** Attempts allowed in a window; the next one locks the key. */
  limit: number;
  windowSeconds: number;
  lockSeconds: number;
}

interface CountedAttempt {
  attempts: number;
  lockedUntil: Date | null;
  justLocked: boolean;
}

/**
 * Counts one attempt for `key` in a single statement, before the password is checked: however
 * many guesses arrive at once, only `limit` per window get through. A window that has passed (or
 * a lock that has ended) starts again from this attempt.
 */
async function countAttempt(db: Executor, key: string, policy: ThrottlePolicy): Promise<CountedAttempt> {
  const window = sql`make_interval(secs => ${policy.windowSeconds})`;
  const lock = sql`make_interval(secs => ${policy.lockSeconds})`;
  const startsAgain = sql`(t.locked_until is not null and t.locked_until <= now()) or (t.locked_until is null and t.window_started_at <= now() - ${window})`;
  const rows = await db.execute<{ attempts: number; locked_until: string | null; just_locked: boolean }>(sql`
    insert into sign_in_throttle as t (key, attempts, window_started_at) values (${key}, 1, now())
    on conflict (key) do update set
      attempts = case when ${startsAgain} then 1 else t.attempts + 1 end,
      window_started_at = case when ${startsAgain} then now() else t.window_started_at end,
      locked_until = case when t.locked_until > now() then t.locked_until
                          when not (${startsAgain}) and t.attempts + 1 > ${policy.limit} then now() + ${lock}
                          else null end,
      locked_at = case when t.locked_until > now() then t.locked_at
                       when not (${startsAgain}) and t.attempts + 1 > ${policy.limit} then now()
                       else null end
    returning attempts, locked_until, locked_at is not null and locked_at = now() as just_locked`);
  const row = rows[0]!;
  return { attempts: row.attempts, lockedUntil: row.locked_until ? new Date(row.locked_until) : null, justLocked: row.just_locked };
}

export interface SignInRefusal {
  message: string;
  retryAfterSeconds: number;
}

function untilText(until: Date): string {
  return `${until.toISOString().slice(11, 16)} UTC`;
}

/**
 * Lets a sign-in attempt through, or says why not: its account has had too many failed attempts
 * (locked for SIGN_IN_LOCK_MINUTES, whichever address they came from) or its client address has
 * (held back for the rest of the minute). A new lock is written to the audit log.
 */
export async function admitSignInAttempt(db: Executor, settings: AuthSettings, attempt: { email: string; address: string }): Promise<SignInRefusal | null> {
  const lockSeconds = settings.signInLockMinutes * 60;
  const account = attempt.email
    ? await countAttempt(db, `account:${attempt.email}`, { limit: settings.signInFailuresBeforeLock, windowSeconds: lockSeconds, lockSeconds })
    : null;
  const address = await countAttempt(db, `address:${attempt.address}`, { limit: settings.signInFailuresPerAddressPerMinute, windowSeconds: 60, lockSeconds: 60 });

  if (account?.justLocked) {
    await db.insert(auditLog).values({
      action: 'auth.accountLocked',
      target: attempt.email,
      outcome: 'denied',
      message: `Locked after ${settings.signInFailuresBeforeLock} failed sign-ins (latest from ${attempt.address}) until ${untilText(account.lockedUntil!)}.`,
    });
  }
  if (address.justLocked) {
    await db.insert(auditLog).values({
      action: 'auth.addressThrottled',
      target: attempt.address,
      outcome: 'denied',
      message: `Held back for a minute after ${settings.signInFailuresPerAddressPerMinute} failed sign-ins from this address.`,
    });
  }

  const now = Date.now();
  if (account?.lockedUntil && account.lockedUntil.getTime() > now) {
    return {
      message: `This account is locked after too many failed sign-ins, until ${untilText(account.lockedUntil)}. Try again then, or ask an admin to reset your password.`,
      retryAfterSeconds: Math.ceil((account.lockedUntil.getTime() - now) / 1000),
    };
  }
  if (address.lockedUntil && address.lockedUntil.getTime() > now) {
    return {
      message: 'Too many failed sign-ins from your address. Wait a minute and try again.',
      retryAfterSeconds: Math.ceil((address.lockedUntil.getTime() - now) / 1000),
    };
  }
  return null;
}

/** A right password: the account's failures are forgotten, and the attempt does not count against its address. */
export async function recordSuccessfulSignIn(db: Executor, attempt: { email: string; address: string }) {
  if (attempt.email) await db.delete(signInThrottle).where(eq(signInThrottle.key, `account:${attempt.email}`));
  await db
    .update(signInThrottle)
    .set({ attempts: sql`greatest(${signInThrottle.attempts} - 1, 0)` })
    .where(eq(signInThrottle.key, `address:${attempt.address}`));
}

/** An admin's password reset also lifts a lock, so the user can sign in with the new password. */
export async function clearSignInLock(db: Executor, email: string) {
  await db.delete(signInThrottle).where(eq(signInThrottle.key, `account:${email.trim().toLowerCase()}`));
}
