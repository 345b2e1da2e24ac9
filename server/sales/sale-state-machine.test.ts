import { describe, expect, it } from 'vitest';
import { isDomainError } from '@/server/errors';
import { SALE_STATES } from '@/shared/sales';
import { canSaleTransition, effectiveSaleState, nextSaleState, SALE_TRANSITIONS, type SaleEvent } from './sale-state-machine';

const startsAt = new Date('2026-11-11T00:00:00Z');
const endsAt = new Date('2026-11-11T01:00:00Z');
const before = new Date('2026-11-10T23:59:59Z');
const during = new Date('2026-11-11T00:30:00Z');
const after = new Date('2026-11-11T01:00:00Z');

describe('sale state machine', () => {
  it('goes scheduled → live at the start time and to ended at the end time', () => {
    expect(effectiveSaleState({ state: 'scheduled', startsAt, endsAt }, before)).toBe('scheduled');
    expect(effectiveSaleState({ state: 'scheduled', startsAt, endsAt }, during)).toBe('live');
    expect(effectiveSaleState({ state: 'live', startsAt, endsAt }, after)).toBe('ended');
    expect(effectiveSaleState({ state: 'paused', startsAt, endsAt }, after)).toBe('ended');
    expect(effectiveSaleState({ state: 'paused', startsAt, endsAt }, during)).toBe('paused');
  });

  it('walks scheduled → live → paused → live → ended', () => {
    let sale = { state: 'scheduled' as const, startsAt, endsAt } as { state: (typeof SALE_STATES)[number]; startsAt: Date; endsAt: Date };
    for (const event of ['pause', 'resume', 'end'] as SaleEvent[]) {
      sale = { ...sale, state: nextSaleState(sale, event, during) };
    }
    expect(sale.state).toBe('ended');
  });

  it('refuses every other move with a 409 that says why', () => {
    for (const state of SALE_STATES) {
      for (const event of Object.keys(SALE_TRANSITIONS) as SaleEvent[]) {
        if (canSaleTransition(state, event)) continue;
        // The clock before the start, so the stored state is the effective one.
        const attempt = () => nextSaleState({ state, startsAt, endsAt }, event, before);
        expect(attempt).toThrow(/cannot/);
        try {
          attempt();
        } catch (error) {
          expect(isDomainError(error, 'CONFLICT')).toBe(true);
        }
      }
    }
    expect(() => nextSaleState({ state: 'paused', startsAt, endsAt }, 'resume', after)).toThrow('its end time has passed');
    expect(() => nextSaleState({ state: 'scheduled', startsAt, endsAt }, 'start', during)).toThrow('it is live');
  });

  it('never leaves ended', () => {
    for (const event of Object.keys(SALE_TRANSITIONS) as SaleEvent[]) expect(canSaleTransition('ended', event)).toBe(false);
  });
});
