/** A count the server stopped counting at (capped): "10,000+" says there are at least that many. */
export function formatCount(count: number, capped = false): string {
  return `${count.toLocaleString('en-US')}${capped ? '+' : ''}`;
}

/** Money in the store's currency, from cents. */
export function formatMoney(cents: number): string {
  return (cents / 100).toFixed(2);
}

/** "45 s", "12 min", "3 h 5 min", "2 d": how long something has been waiting. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

export function formatTime(date: Date | string | null | undefined): string {
  if (!date) return '—';
  return new Date(date).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A moment as a datetime-local input value, in the browser's time zone. */
export function toDateInput(date: Date): string {
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/**
 * The end of a range that must include what happens in the next moments (an export that records
 * itself when it starts), as a datetime-local input holds it: whole minutes, at least `minutes`
 * ahead of `now`. "now + 1 min" cut to the minute can be under a second ahead.
 */
export function rangeEndAhead(now: Date, minutes = 1): Date {
  return new Date((Math.floor(now.getTime() / 60_000) + minutes + 1) * 60_000);
}

/** A datetime-local input value as a Date, or undefined when empty or invalid. */
export function parseDateInput(value: string): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** What a consumer group does, in words a support agent uses. */
export const groupLabels: Record<string, string> = {
  fulfilment: 'Warehouse',
  notifications: 'Customer SMS',
  points: 'Loyalty points',
  coupons: 'Coupon',
  refunds: 'Provider refund',
  timeouts: 'Payment timeout',
  analytics: 'Sales report',
};

export function groupLabel(group: string): string {
  return groupLabels[group] ? `${groupLabels[group]} (${group})` : group;
}

/** Console actions in words, for the order trace; unknown ones show their procedure path. */
const actionLabels: Record<string, string> = {
  'orders.repushShipment': 'Re-pushed to the warehouse',
  'orders.cancelShipment': 'Cancelled the shipment',
  'orders.releaseStock': 'Released frozen stock',
  'orders.retryRefund': 'Retried the refund',
  'orders.markRefundDone': 'Marked the refund done manually',
  'orders.reversePoints': 'Reversed points',
  'orders.revokeCoupon': 'Revoked the coupon',
  'orders.closeOrder': 'Closed the order',
  'deadLetters.replay': 'Replayed dead letters',
  'deadLetters.discard': 'Discarded dead letters',
  'failedPushes.retryNow': 'Retried now',
  'failedPushes.giveUp': 'Gave up retrying',
};

export function actionLabel(action: string): string {
  return actionLabels[action] ?? action;
}
