import { wholeNumberSetting } from '@/server/runtime/settings';
import { ApprovalRequired } from './approvals';

/**
 * Which console actions need a second person (see `needsApproval` in server/trpc/init.ts).
 * The input policies take the raw input and return a one-line summary when approval is
 * needed; bulk actions count their rows with requireApprovalAbove.
 */

/** Bulk actions (replay, discard, give up) on more rows than this need a second person. */
export function bulkApprovalThreshold(): number {
  return wholeNumberSetting('APPROVAL_BULK_THRESHOLD', 100);
}

/**
 * Counts the rows a bulk action is about to touch, the exact ones it will then act on, and
 * asks for a second person above the threshold (unless one already approved these rows).
 */
export function requireApprovalAbove(input: { ids: number[]; approved: boolean; describe: (count: number) => string }): void {
  if (input.approved || input.ids.length <= bulkApprovalThreshold()) return;
  throw new ApprovalRequired(input.describe(input.ids.length), { ids: input.ids });
}

/**
 * Every offset reset waits for a second person. A time that is not a date never needs one: it
 * can never run, and input validation then refuses it with a 400 that says what is wrong.
 */
export function offsetResetNeedsApproval(input: Record<string, unknown>): string | null {
  const when = input.time === undefined ? null : new Date(String(input.time));
  if (when && Number.isNaN(when.getTime())) return null;
  return `reset the offsets of consumer group ${String(input.group)} to ${when ? when.toISOString() : 'an earlier point'}`;
}

export function manualRefundNeedsApproval(input: Record<string, unknown>): string {
  return `mark the refund of order ${String(input.orderId)} as done by hand (provider reference ${String(input.providerReference)})`;
}
