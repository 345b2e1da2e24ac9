import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, type OrderStatus } from '@/shared/order-status';
import {
  assertTransition,
  canTransition,
  IllegalTransitionError,
  INITIAL_STATUS,
  LEGAL_TRANSITIONS,
  nextStatus,
  ORDER_EVENTS,
  ORDER_TRANSITIONS,
  PAID_STATUSES,
  REFUND_STATUSES,
  SETTLING_STATUSES,
  TERMINAL_STATUSES,
} from './order-state-machine';

const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));
const legal = new Set(ORDER_EVENTS.flatMap((event) => ORDER_TRANSITIONS[event].from.map((from) => `${from}→${ORDER_TRANSITIONS[event].to}`)));

describe('order state machine', () => {
  it('accepts every transition an event makes', () => {
    for (const event of ORDER_EVENTS) {
      for (const from of ORDER_TRANSITIONS[event].from) {
        expect(nextStatus(from, event)).toBe(ORDER_TRANSITIONS[event].to);
        expect(() => assertTransition(from, ORDER_TRANSITIONS[event].to)).not.toThrow();
      }
    }
  });

  it('refuses every other pair of statuses, naming both and what is allowed', () => {
    const refused = pairs.filter(([from, to]) => !legal.has(`${from}→${to}`));
    expect(refused.length).toBeGreaterThan(0);
    for (const [from, to] of refused) {
      expect(() => assertTransition(from, to), `${from} → ${to}`).toThrow(IllegalTransitionError);
      expect(() => assertTransition(from, to)).toThrow(new RegExp(`${from} → ${to}`));
    }
    expect(() => assertTransition('PENDING_PAYMENT', 'SHIPPED')).toThrow('from PENDING_PAYMENT an order may become PAID or CLOSED');
  });

  it('refuses an event in a status it does not apply to', () => {
    for (const event of ORDER_EVENTS) {
      for (const from of ORDER_STATUSES.filter((status) => !canTransition(status, event))) {
        expect(() => nextStatus(from, event), `${event} from ${from}`).toThrow(`${event} applies to ${ORDER_TRANSITIONS[event].from.join(' or ')}, not ${from}`);
      }
    }
  });

  it('has no self-loops', () => {
    for (const status of ORDER_STATUSES) expect(LEGAL_TRANSITIONS[status]).not.toContain(status);
  });

  it('gives terminal statuses no exits, and REFUNDED is the only one', () => {
    expect(TERMINAL_STATUSES).toEqual(['REFUNDED']);
    for (const status of TERMINAL_STATUSES) {
      expect(LEGAL_TRANSITIONS[status]).toEqual([]);
      for (const event of ORDER_EVENTS) expect(canTransition(status, event)).toBe(false);
    }
  });

  it('reaches every status from the initial one', () => {
    const reached = new Set<OrderStatus>([INITIAL_STATUS]);
    const queue: OrderStatus[] = [INITIAL_STATUS];
    while (queue.length > 0) {
      for (const to of LEGAL_TRANSITIONS[queue.shift()!]) {
        if (!reached.has(to)) {
          reached.add(to);
          queue.push(to);
        }
      }
    }
    expect([...reached].sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it('follows the lifecycle: paid, at the warehouse, shipped; closed unpaid; refunds settle or fail and are retried', () => {
    expect(LEGAL_TRANSITIONS).toEqual({
      PENDING_PAYMENT: ['PAID', 'CLOSED'],
      PAID: ['FULFILLING', 'SHIPPED', 'REFUNDING'],
      FULFILLING: ['SHIPPED', 'REFUNDING'],
      SHIPPED: ['REFUNDING'],
      CLOSED: ['REFUNDING'],
      REFUNDING: ['REFUNDED', 'REFUND_FAILED'],
      REFUNDED: [],
      REFUND_FAILED: ['REFUNDING', 'REFUNDED'],
    });
  });

  it('derives the named status sets from the table', () => {
    expect(PAID_STATUSES).toEqual(['PAID', 'FULFILLING', 'SHIPPED']);
    expect([...ORDER_TRANSITIONS.requestRefund.from]).toEqual(PAID_STATUSES);
    expect(REFUND_STATUSES).toEqual(['REFUNDING', 'REFUNDED', 'REFUND_FAILED']);
    expect(SETTLING_STATUSES).toEqual(['PAID', 'FULFILLING', 'REFUNDING']);
  });
});
