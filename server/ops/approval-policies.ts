/**
 * Which console actions need a second person (see `needsApproval` in server/trpc/init.ts).
 * Each takes the raw input and returns a one-line summary when approval is needed.
 */

export function replayApprovalThreshold(): number {
  return Number(process.env.APPROVAL_REPLAY_THRESHOLD ?? 100);
}

/**
 * Explicit ids are counted; a filter is trusted only with the count the operator confirmed
 * from the preview, so a filter sent without one always waits for approval.
 */
export function bulkReplayNeedsApproval(input: Record<string, unknown>): string | null {
  const threshold = replayApprovalThreshold();
  if (Array.isArray(input.ids)) return input.ids.length > threshold ? `replay ${input.ids.length} selected dead letters` : null;
  const expected = typeof input.expectedCount === 'number' ? input.expectedCount : null;
  if (expected !== null && expected <= threshold) return null;
  return expected === null ? 'replay every dead letter matching a filter' : `replay ${expected} dead letters matching a filter`;
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
