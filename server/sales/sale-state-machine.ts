import type { SaleState } from '@/shared/sales';
import { DomainError } from '@/server/errors';

/**
 * The sale state machine. `scheduled` becomes `live` at the start time on its own (the
 * admission statement reads the clock, so the first attempt after the start is admitted
 * without waiting for anything); ops pause and resume a live sale; any sale not yet ended
 * can be ended, and a sale whose end time has passed counts as ended whatever it stores.
 */
export const SALE_TRANSITIONS = {
  start: { from: ['scheduled'], to: 'live' },
  pause: { from: ['live'], to: 'paused' },
  resume: { from: ['paused'], to: 'live' },
  end: { from: ['scheduled', 'live', 'paused'], to: 'ended' },
} as const satisfies Record<string, { from: readonly SaleState[]; to: SaleState }>;

export type SaleEvent = keyof typeof SALE_TRANSITIONS;

export interface SaleClock {
  state: SaleState;
  startsAt: Date;
  endsAt: Date;
}

/** The state a sale is in at `now`: its stored state, moved on by its start and end times. */
export function effectiveSaleState(sale: SaleClock, now: Date): SaleState {
  if (sale.state === 'ended' || now >= sale.endsAt) return 'ended';
  if (sale.state === 'scheduled' && now >= sale.startsAt) return 'live';
  return sale.state;
}

export function canSaleTransition(state: SaleState, event: SaleEvent): boolean {
  return (SALE_TRANSITIONS[event].from as readonly SaleState[]).includes(state);
}

/** The state `event` leads to from the sale's state at `now`, or a 409 that says why it cannot. */
export function nextSaleState(sale: SaleClock, event: SaleEvent, now: Date): SaleState {
  const state = effectiveSaleState(sale, now);
  if (canSaleTransition(state, event)) return SALE_TRANSITIONS[event].to;
  const why = state === 'ended' && sale.state !== 'ended' ? 'its end time has passed' : `it is ${state}`;
  throw new DomainError('CONFLICT', `The sale cannot ${event === 'end' ? 'be ended' : event} now: ${why}.`);
}
